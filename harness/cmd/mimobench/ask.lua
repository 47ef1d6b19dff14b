-- wrk's script for POST /api/ask (mimobench's ask runs): "who owns the
-- <team> <project> work?" over the corpus's words, each connection waiting
-- ASK_THINK_MS milliseconds between an answer and its next question.
local teams = {"platform","infrastructure","payments","billing","growth","search","identity","security","data","analytics","mobile","frontend","backend","reliability","support","onboarding","checkout","catalog","inventory","logistics"}
local projects = {"atlas","beacon","cobalt","delta","ember","falcon","granite","harbor","iris","juniper","kestrel","lumen","meridian","nimbus","onyx","pioneer","quartz","raven","sable","tundra"}
local think = tonumber(os.getenv("ASK_THINK_MS") or "0")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local q = "who owns the " .. teams[math.random(#teams)] .. " " .. projects[math.random(#projects)] .. " work?"
  return wrk.format(nil, "/api/ask", nil, '{"query":"' .. q .. '"}')
end
if think > 0 then
  delay = function() return think end
end
