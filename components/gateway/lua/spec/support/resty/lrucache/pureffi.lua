-- resty.lrucache.pureffi has resty.lrucache's interface (string keys only),
-- and the stand-in serves both.
return require("resty.lrucache")
