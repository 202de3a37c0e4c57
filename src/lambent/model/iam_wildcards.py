"""IAM wildcard matching: the `*` and `?` patterns of Action and Resource elements.

API:
- `action_matches(pattern, action)`: IAM action names match case-insensitively
  (`lambda:Get*` matches `lambda:getfunction`).
- `resource_matches(pattern, arn)`: resource ARNs match case-sensitively.

`*` matches any run of characters (also none), `?` exactly one; nothing else is special.
Pure: no I/O, no clock.
"""

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def action_matches(pattern: str, action: str) -> bool:
    """True when the Action pattern covers the action, ignoring case as IAM does."""
    return _compile(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, arn: str) -> bool:
    """True when the Resource pattern covers the ARN; case counts."""
    return _compile(pattern, False).fullmatch(arn) is not None
