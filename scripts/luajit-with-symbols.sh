#!/bin/sh
# Builds the libluajit Debian installed (OpenResty's luajit2 branch, the one the
# native gateway runs) from Debian's own source and patches, keeping its
# symbols, into DIR: `npm run bench:instructions -- --luajit-lib DIR` then
# tells LuaJIT's collector and trace compiler apart from the rest. The
# installed library is stripped, and Debian's debug archive is not reachable
# from every machine; the source is (deb.debian.org's pool).
set -eu
out=${1:?usage: scripts/luajit-with-symbols.sh DIR}
version=$(dpkg-query -W -f '${Version}' libluajit2-5.1-2) # 2.1-20230119-1 on Debian 12
upstream=${version%-*}
pool=http://deb.debian.org/debian/pool/main/l/luajit2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
curl -fsSO "$pool/luajit2_${upstream}.orig.tar.xz"
curl -fsSO "$pool/luajit2_${version}.debian.tar.xz"
tar xf "luajit2_${upstream}.orig.tar.xz"
cd "luajit2-${upstream}"
tar xf "../luajit2_${version}.debian.tar.xz"
for patch in $(cat debian/patches/series); do patch -s -p1 <"debian/patches/$patch"; done
# Debian's build: `make amalg` with dpkg's flags (debian/rules), not stripped here.
CFLAGS="$(dpkg-buildflags --get CFLAGS)" LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
  make -j"$(nproc)" amalg PREFIX=/usr Q= E=@: >build.log 2>&1 || { tail -20 build.log; exit 1; }
mkdir -p "$out"
cp src/libluajit.so "$out/libluajit-5.1.so.2"
echo "libluajit with symbols: $out/libluajit-5.1.so.2 (luajit2 $version)"
