"""The example service's developer tools: a WebSocket client, the stand-in Space, fixtures."""
