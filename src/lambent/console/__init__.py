"""The web console: server-rendered pages (Jinja2, htmx, uPlot) over the same services as the API,
in the signed-in principal's account, each action authorized as the API authorizes it."""
