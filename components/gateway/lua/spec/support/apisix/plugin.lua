-- Test stand-in for apisix.plugin: skip_plugin as APISIX 3.18 defines it (the
-- plugin runner then skips the named plugin for the rest of the request).
local _M = {}

function _M.skip_plugin(ctx, plugin_name)
    if not ctx._skip_plugins then
        ctx._skip_plugins = {}
    end
    ctx._skip_plugins[plugin_name] = true
end

return _M
