"""The S3 notifications half of ``MemoryStore``: each account's bucket configurations in a
dictionary keyed by bucket, answering as ``store.sql_bucket_notifications`` does (tokens unique
across accounts, the lookup by token reading every account's)."""

from __future__ import annotations

import hmac

from lambent.model.s3_event import BucketNotification


class MemoryBucketNotifications:
    """Mixed into ``MemoryStore``, which binds ``_bucket_notifications`` to its account's and
    keeps ``_notifications_of`` (every account's, by account)."""

    _account: str
    _bucket_notifications: dict[str, BucketNotification]

    def _notifications_of(self) -> dict[str, dict[str, BucketNotification]]:
        raise NotImplementedError

    async def load_bucket_notifications(self) -> list[BucketNotification]:
        return [self._bucket_notifications[key] for key in sorted(self._bucket_notifications)]

    async def put_bucket_notification(self, notification: BucketNotification) -> None:
        found = await self.bucket_notification_by_token(notification.token)
        if found is not None and (found[0], found[1].bucket) != (self._account, notification.bucket):
            raise KeyError(notification.token)
        self._bucket_notifications[notification.bucket] = notification

    async def delete_bucket_notification(self, bucket: str) -> None:
        self._bucket_notifications.pop(bucket, None)

    async def bucket_notification_by_token(self, token: str) -> tuple[str, BucketNotification] | None:
        for account, notifications in self._notifications_of().items():
            for notification in notifications.values():
                if hmac.compare_digest(notification.token.encode(), token.encode()):
                    return account, notification
        return None
