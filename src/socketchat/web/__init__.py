"""The browser client: static files under `static/`, served by `socketchat.server.net.web`.

No build step: `static/index.html` loads plain ES modules (`app.js` and its helpers) and
`style.css`. The page talks IRC over the WebSocket at `/ws` (IRCv3 websocket transport).
"""
