// The client side of `cancelgate cancel`, kept apart from the command so tests drive it directly:
//
//   IDList          the IDs from arguments, a file or stdin (`#` comments, blank lines)
//   Chunk           the list cut at the server's `max_items`, one deterministic Idempotency-Key each
//   GatewayClient   GET /v1/upstreams and POST /v1/cancel over CurlClient; answers → errors
//   CancelSession   sends the chunks in order and merges their reports into one (CancelSession.swift)
//   MergedReport    the merged report; table, JSON and CSV renderings; the exit code
//   ProgressBar     the one-line progress drawn on a terminal
