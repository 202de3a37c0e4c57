"""The lifecycle of a version as AWS shows it: State, LastUpdateStatus and their RevisionIds. Pure.

AWS answers CreateFunction with the function ``Pending`` (reason "The function is being
created.", code ``Creating``) and no ``LastUpdateStatus`` yet; the function then becomes
``Active`` with ``LastUpdateStatus: Successful``. It answers UpdateFunctionConfiguration and
UpdateFunctionCode with ``LastUpdateStatus: InProgress`` (AWS's reason and code for it are the
creation ones, word for word), then ``Successful``. Every one of these transitions draws a new
RevisionId, so the id a waiter sees once the function is ready differs from the one in the answer.

Lambent stores the first state, then the settled one as soon as the change is durable (nothing
is left to provision), so the answer and the next read are AWS's sequence and a restart never
leaves a version half-way: ``settled`` is also what loading applies to a stored transient state.
"""

from __future__ import annotations

import msgspec

from lambent.model.function import FunctionVersion

PENDING = "Pending"
ACTIVE = "Active"
IN_PROGRESS = "InProgress"
SUCCESSFUL = "Successful"


def creating(version: FunctionVersion) -> FunctionVersion:
    """*version* as CreateFunction stores and answers it: Pending, no update status yet."""
    return msgspec.structs.replace(version, state=PENDING, last_update_status="")


def updating(version: FunctionVersion) -> FunctionVersion:
    """``$LATEST`` as an update stores and answers it: Active, its update in progress."""
    return msgspec.structs.replace(version, state=ACTIVE, last_update_status=IN_PROGRESS)


def settled(version: FunctionVersion, revision_id: str) -> FunctionVersion:
    """*version* once its creation or update is done: Active, Successful, a new revision."""
    return msgspec.structs.replace(version, state=ACTIVE, last_update_status=SUCCESSFUL, revision_id=revision_id)


def is_transient(version: FunctionVersion) -> bool:
    """Whether *version* is stored mid-transition (a server stopped between the two writes)."""
    return version.state == PENDING or version.last_update_status in ("", IN_PROGRESS)
