"""HTTP in: function URLs (and, next, API Gateway-compatible HTTP APIs), host- or path-routed
requests that become invocations. An edge beside ``api``, sharing its SigV4 verifier and body
reader."""
