"""Every limit Lambent enforces, in one place: AWS's quotas and the few of Lambent's own.

The numbers are AWS Lambda's (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)
unless a line says it is Lambent's. Ranges the API model already carries (memory 128-10,240 MB,
timeout 1-900 s, /tmp 512-10,240 MB) are checked through ``model.constraints`` and not repeated.
"""

from __future__ import annotations

# -- code and configuration ---------------------------------------------------------------
#: The function's environment variables, as their JSON (keys and values) measures.
ENVIRONMENT_LIMIT_BYTES = 4096
ZIPPED_LIMIT_BYTES = 50 * 1024 * 1024
#: Code and every layer together, unzipped.
UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
#: The base64-encoded 50 MB inside a JSON body, as AWS measures its CreateFunction limit
#: (the figure AWS's current answers quote).
CREATE_REQUEST_LIMIT_BYTES = 70167211
TOTAL_CODE_SIZE_LIMIT_BYTES = 80 * 1024 * 1024 * 1024
MAX_LAYERS = 5
MAX_TAGS = 50
#: A bare function name (CreateFunction); the API model's 140 is for the ARN forms.
FUNCTION_NAME_LIMIT = 64

# -- invocation ---------------------------------------------------------------------------
SYNC_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024
#: AWS allows the response 100 bytes of framing over the 6 MB.
SYNC_RESPONSE_LIMIT_BYTES = SYNC_PAYLOAD_LIMIT_BYTES + 100
#: Event (asynchronous) invocations: 1 MB since October 2025.
ASYNC_PAYLOAD_LIMIT_BYTES = 1024 * 1024
#: The legacy InvokeAsync operation keeps its own 256 KB.
INVOKE_ASYNC_LIMIT_BYTES = 256 * 1024
#: The log tail ``LogType: Tail`` returns: the last 4 KB.
TAIL_BYTES = 4096
#: A recursive loop is stopped after this many invocations in one chain.
MAX_CHAIN = 16
#: An asynchronous event is kept at most six hours unless the function's config says less.
DEFAULT_MAXIMUM_AGE_S = 21600

# -- concurrency --------------------------------------------------------------------------
#: Reservations may not shrink the unreserved pool below this.
MINIMUM_UNRESERVED = 100
#: New environments per function are counted over this window (the scale-out rate).
SCALE_OUT_WINDOW_S = 10.0

# -- an execution environment -------------------------------------------------------------
#: File descriptors (RLIMIT_NOFILE) and tasks (pids.max) of one environment.
NOFILE_LIMIT = 1024
PIDS_MAX = 1024
#: Seconds the init phase may take on demand (AWS: 10 s; a failed init is tried once more in the
#: invoke phase under the function's own timeout, decision 0013).
INIT_TIMEOUT_S = 10.0
#: Lambent's own: output an environment may buffer between invocations before it is cut.
LOG_CAP_BYTES = 1 << 20
#: Lambent's own: the uids functions run as (one per function), a range no machine account uses.
FUNCTION_UID_FIRST = 20000
FUNCTION_UID_LAST = 59999

# -- API pages ----------------------------------------------------------------------------
LIST_PAGE_LIMIT = 50
#: FilterLogEvents and GetLogEvents answer at most this many events a page.
LOG_EVENTS_PAGE_LIMIT = 10_000

# -- request bodies of Lambent's and the Runtime API's own operations --------------------------
#: CloudWatch Logs requests (FilterLogEvents, GetLogEvents, DescribeLogStreams).
LOGS_REQUEST_LIMIT_BYTES = 1 << 20
#: EventBridge requests: PutEvents' 256 KB of entries with room for its JSON framing.
EVENTS_REQUEST_LIMIT_BYTES = 1 << 20
#: CloudWatch metrics requests as sent (PutMetricData: AWS's 1 MB), and once gunzipped
#: (botocore compresses PutMetricData past 10 KB).
CLOUDWATCH_REQUEST_LIMIT_BYTES = 1 << 20
CLOUDWATCH_INFLATED_LIMIT_BYTES = 8 << 20
#: EventBridge Scheduler requests (a target's Input is at most 8 KB; the rest is small).
SCHEDULER_REQUEST_LIMIT_BYTES = 1 << 16
#: PutBudget.
BUDGET_REQUEST_LIMIT_BYTES = 64 * 1024
#: Extensions API register and Telemetry API subscribe.
EXTENSION_REQUEST_LIMIT_BYTES = 1 << 16
#: Extensions API init/exit error reports (read and dropped).
EXTENSION_ERROR_LIMIT_BYTES = 1 << 20

# -- identity --------------------------------------------------------------------------------
#: Seconds an environment's execution-role credentials stay valid (STS's longest role session).
ROLE_SESSION_S = 12 * 3600
#: Seconds an environment lives at most: retired (ended once idle, provisioned ones replaced)
#: an hour before its role credentials expire, as AWS recycles environments every few hours.
ENVIRONMENT_LIFETIME_S = ROLE_SESSION_S - 3600

# -- SigV4 (api/sigv4) -------------------------------------------------------------------------

#: How far a request's X-Amz-Date may be from the server's clock, either way (AWS: 5 minutes).
SIGV4_CLOCK_SKEW_S = 300
#: The longest X-Amz-Expires a presigned request may carry (AWS: 7 days, the signing key's life).
SIGV4_MAX_PRESIGN_EXPIRES_S = 604_800
#: Derived signing keys kept, one per (access key, secret, date, region, service).
SIGV4_SIGNING_KEY_CACHE = 4096

# -- code signing (botocore lambda model) ------------------------------------------------------
#: AllowedPublishers.SigningProfileVersionArns: 1 to 20 (shape SigningProfileVersionArns).
SIGNING_PROFILE_VERSIONS_MAX = 20
#: A code signing config's Description (shape Description).
CODE_SIGNING_DESCRIPTION_MAX = 256
#: Room for a code signature in a zip's archive comment (the format's 16-bit length).
ZIP_COMMENT_MAX = 0xFFFF

# -- IAM and STS (the query protocol) ---------------------------------------------------------
#: The largest IAM or STS request read: far above any policy document (131,072 characters at most).
QUERY_REQUEST_LIMIT_BYTES = 1 << 20
