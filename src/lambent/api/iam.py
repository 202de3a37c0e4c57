"""The IAM API (query protocol): one line per action, parse -> one service call -> render.

Handlers take the request's input (members as the model names them) and the caller's
``Principal``, and return the output members; ``lambent.api.query`` reads and writes the wire
and renders every error. Lists are paged by ``MaxItems`` and ``Marker``, as AWS pages them.
Authorization of these calls is the edge's, before dispatch (not here).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from lambent.api.auth import Principal
from lambent.model.identity import AccessKey, Credential, Role, User
from lambent.model.managed_policy import ManagedPolicy, PolicyVersion, encoded
from lambent.services.iam import IamService, Kind

Params = dict[str, Any]
Handler = Callable[[Params, Principal], Awaitable[Params | None]]


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _in_tags(params: Params) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in params.get("Tags", [])}


def user_shape(user: User) -> Params:
    shape: Params = {"Path": user.path, "UserId": user.user_id, "Arn": user.arn, "CreateDate": user.created}
    if user.name:
        shape["UserName"] = user.name
    else:  # the account's root
        shape["Arn"] = f"arn:aws:iam::{user.account_id}:root"
    if user.tags:
        shape["Tags"] = _tags(user.tags)
    return shape


def role_shape(role: Role) -> Params:
    shape: Params = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": role.created,
        "AssumeRolePolicyDocument": encoded(role.assume_role_policy),
        "MaxSessionDuration": role.max_session_duration_s,
        "Description": role.description,
    }
    if role.tags:
        shape["Tags"] = _tags(role.tags)
    return shape


def key_shape(key: AccessKey) -> Params:
    return {
        "UserName": key.principal_arn.rsplit("/", 1)[-1],
        "AccessKeyId": key.access_key_id,
        "Status": key.status,
        "CreateDate": key.created,
    }


def policy_shape(policy: ManagedPolicy, attachments: int) -> Params:
    shape: Params = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version,
        "AttachmentCount": attachments,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "Description": policy.description,
        "CreateDate": policy.created,
        "UpdateDate": policy.updated,
    }
    if policy.tags:
        shape["Tags"] = _tags(policy.tags)
    return shape


def version_shape(policy: ManagedPolicy, version: PolicyVersion) -> Params:
    return {
        "Document": encoded(version.document),
        "VersionId": version.version_id,
        "IsDefaultVersion": version.version_id == policy.default_version,
        "CreateDate": version.created,
    }


#: AWS's page size when MaxItems is not given.
DEFAULT_MAX_ITEMS = 100


def _listed(member: str, items: list[Any], p: Params) -> Params:
    """One page of *items*: ``MaxItems`` of them from ``Marker`` (this service's markers are
    offsets; to a client they are opaque), and the next ``Marker`` if there are more."""
    marker = p.get("Marker", "0")
    start = int(marker) if marker.isdigit() else 0
    end = start + p.get("MaxItems", DEFAULT_MAX_ITEMS)
    page: Params = {member: items[start:end], "IsTruncated": end < len(items)}
    if end < len(items):
        page["Marker"] = str(end)
    return page


class IamApi:
    def __init__(self, iam: IamService) -> None:
        self._iam = iam
        # fmt: off
        self.actions: dict[str, Handler] = {
            "CreateUser":                self._create_user,
            "GetUser":                   self._get_user,
            "ListUsers":                 self._list_users,
            "DeleteUser":                self._delete_user,
            "CreateAccessKey":           self._create_access_key,
            "ListAccessKeys":            self._list_access_keys,
            "DeleteAccessKey":           self._delete_access_key,
            "UpdateAccessKey":           self._update_access_key,
            "CreateRole":                self._create_role,
            "GetRole":                   self._get_role,
            "ListRoles":                 self._list_roles,
            "DeleteRole":                self._delete_role,
            "UpdateAssumeRolePolicy":    self._update_assume_role_policy,
            "PutRolePolicy":             self._put_inline("role"),
            "GetRolePolicy":             self._get_inline("role"),
            "DeleteRolePolicy":          self._delete_inline("role"),
            "ListRolePolicies":          self._list_inline("role"),
            "PutUserPolicy":             self._put_inline("user"),
            "GetUserPolicy":             self._get_inline("user"),
            "DeleteUserPolicy":          self._delete_inline("user"),
            "ListUserPolicies":          self._list_inline("user"),
            "AttachRolePolicy":          self._attach("role"),
            "DetachRolePolicy":          self._detach("role"),
            "ListAttachedRolePolicies":  self._list_attached("role"),
            "AttachUserPolicy":          self._attach("user"),
            "DetachUserPolicy":          self._detach("user"),
            "ListAttachedUserPolicies":  self._list_attached("user"),
            "CreatePolicy":              self._create_policy,
            "GetPolicy":                 self._get_policy,
            "GetPolicyVersion":          self._get_policy_version,
            "CreatePolicyVersion":       self._create_policy_version,
            "ListPolicyVersions":        self._list_policy_versions,
            "SetDefaultPolicyVersion":   self._set_default_policy_version,
            "DeletePolicyVersion":       self._delete_policy_version,
            "ListPolicies":              self._list_policies,
            "DeletePolicy":              self._delete_policy,
            # Lambent has no instance profiles; clients that delete a role ask (Terraform does).
            "ListInstanceProfilesForRole": self._no_instance_profiles,
        }
        # fmt: on

    # -- users and access keys -------------------------------------------------------------

    async def _create_user(self, p: Params, caller: Principal) -> Params:
        user = await self._iam.create_user(caller.account_id, p["UserName"], p.get("Path", "/"), _in_tags(p))
        return {"User": user_shape(user)}

    async def _get_user(self, p: Params, caller: Principal) -> Params:
        return {"User": user_shape(await self._iam.get_user(caller.account_id, p.get("UserName"), caller.arn))}

    async def _list_users(self, p: Params, caller: Principal) -> Params:
        users = await self._iam.list_users(caller.account_id, p.get("PathPrefix", "/"))
        return _listed("Users", [user_shape(u) for u in users], p)

    async def _delete_user(self, p: Params, caller: Principal) -> None:
        await self._iam.delete_user(caller.account_id, p["UserName"])

    async def _create_access_key(self, p: Params, caller: Principal) -> Params:
        credential, user = await self._iam.create_access_key(caller.account_id, p.get("UserName"), caller.arn)
        return {"AccessKey": _new_key_shape(credential, user, self._iam.now())}

    async def _list_access_keys(self, p: Params, caller: Principal) -> Params:
        keys, _user = await self._iam.list_access_keys(caller.account_id, p.get("UserName"), caller.arn)
        return _listed("AccessKeyMetadata", [key_shape(k) for k in keys], p)

    async def _delete_access_key(self, p: Params, caller: Principal) -> None:
        await self._iam.delete_access_key(caller.account_id, p.get("UserName"), caller.arn, p["AccessKeyId"])

    async def _update_access_key(self, p: Params, caller: Principal) -> None:
        await self._iam.update_access_key(caller.account_id, p.get("UserName"), caller.arn, p["AccessKeyId"], p["Status"])

    # -- roles ---------------------------------------------------------------------------

    async def _create_role(self, p: Params, caller: Principal) -> Params:
        role = await self._iam.create_role(
            caller.account_id,
            p["RoleName"],
            p.get("Path", "/"),
            p["AssumeRolePolicyDocument"],
            p.get("Description"),
            p.get("MaxSessionDuration", 3600),
            _in_tags(p),
        )
        return {"Role": role_shape(role)}

    async def _get_role(self, p: Params, caller: Principal) -> Params:
        return {"Role": role_shape(await self._iam.get_role(caller.account_id, p["RoleName"]))}

    async def _list_roles(self, p: Params, caller: Principal) -> Params:
        roles = await self._iam.list_roles(caller.account_id, p.get("PathPrefix", "/"))
        return _listed("Roles", [role_shape(r) for r in roles], p)

    async def _delete_role(self, p: Params, caller: Principal) -> None:
        await self._iam.delete_role(caller.account_id, p["RoleName"])

    async def _update_assume_role_policy(self, p: Params, caller: Principal) -> None:
        await self._iam.update_assume_role_policy(caller.account_id, p["RoleName"], p["PolicyDocument"])

    # -- inline and attached policies, of users and roles alike ---------------------------

    def _put_inline(self, kind: Kind) -> Handler:
        async def handler(p: Params, caller: Principal) -> None:
            await self._iam.put_inline(kind, caller.account_id, p[_name(kind)], p["PolicyName"], p["PolicyDocument"])

        return handler

    def _get_inline(self, kind: Kind) -> Handler:
        async def handler(p: Params, caller: Principal) -> Params:
            document = await self._iam.get_inline(kind, caller.account_id, p[_name(kind)], p["PolicyName"])
            return {_name(kind): p[_name(kind)], "PolicyName": p["PolicyName"], "PolicyDocument": encoded(document)}

        return handler

    def _delete_inline(self, kind: Kind) -> Handler:
        async def handler(p: Params, caller: Principal) -> None:
            await self._iam.delete_inline(kind, caller.account_id, p[_name(kind)], p["PolicyName"])

        return handler

    def _list_inline(self, kind: Kind) -> Handler:
        async def handler(p: Params, caller: Principal) -> Params:
            return _listed("PolicyNames", await self._iam.list_inline(kind, caller.account_id, p[_name(kind)]), p)

        return handler

    def _attach(self, kind: Kind) -> Handler:
        async def handler(p: Params, caller: Principal) -> None:
            await self._iam.attach(kind, caller.account_id, p[_name(kind)], p["PolicyArn"])

        return handler

    def _detach(self, kind: Kind) -> Handler:
        async def handler(p: Params, caller: Principal) -> None:
            await self._iam.detach(kind, caller.account_id, p[_name(kind)], p["PolicyArn"])

        return handler

    def _list_attached(self, kind: Kind) -> Handler:
        async def handler(p: Params, caller: Principal) -> Params:
            policies = await self._iam.attached(kind, caller.account_id, p[_name(kind)])
            return _listed("AttachedPolicies", [{"PolicyName": x.name, "PolicyArn": x.arn} for x in policies], p)

        return handler

    # -- managed policies ------------------------------------------------------------------

    async def _create_policy(self, p: Params, caller: Principal) -> Params:
        policy = await self._iam.create_policy(
            caller.account_id, p["PolicyName"], p.get("Path", "/"), p["PolicyDocument"], p.get("Description"), _in_tags(p)
        )
        return {"Policy": policy_shape(policy, 0)}

    async def _get_policy(self, p: Params, caller: Principal) -> Params:
        return {"Policy": policy_shape(*await self._iam.get_policy(caller.account_id, p["PolicyArn"]))}

    async def _get_policy_version(self, p: Params, caller: Principal) -> Params:
        return {"PolicyVersion": version_shape(*await self._iam.catalog.version(p["PolicyArn"], p["VersionId"]))}

    async def _create_policy_version(self, p: Params, caller: Principal) -> Params:
        version = await self._iam.create_policy_version(p["PolicyArn"], p["PolicyDocument"], p.get("SetAsDefault", False))
        policy = await self._iam.catalog.get(p["PolicyArn"])
        return {"PolicyVersion": version_shape(policy, version)}

    async def _list_policy_versions(self, p: Params, caller: Principal) -> Params:
        policy = await self._iam.catalog.get(p["PolicyArn"])
        listed = [{k: v for k, v in version_shape(policy, x).items() if k != "Document"} for x in reversed(policy.versions)]
        return _listed("Versions", listed, p)  # newest first, without their documents, as AWS lists them

    async def _set_default_policy_version(self, p: Params, caller: Principal) -> None:
        await self._iam.catalog.set_default(p["PolicyArn"], p["VersionId"], self._iam.now())

    async def _delete_policy_version(self, p: Params, caller: Principal) -> None:
        await self._iam.catalog.delete_version(p["PolicyArn"], p["VersionId"])

    async def _no_instance_profiles(self, p: Params, caller: Principal) -> Params:
        await self._iam.get_role(caller.account_id, p["RoleName"])
        return _listed("InstanceProfiles", [], p)

    async def _list_policies(self, p: Params, caller: Principal) -> Params:
        listed = await self._iam.list_policies(caller.account_id, p.get("Scope", "All"), p.get("OnlyAttached", False))
        return _listed("Policies", [policy_shape(policy, count) for policy, count in listed], p)

    async def _delete_policy(self, p: Params, caller: Principal) -> None:
        await self._iam.delete_policy(caller.account_id, p["PolicyArn"])


def _name(kind: Kind) -> str:
    return "UserName" if kind == "user" else "RoleName"


def _new_key_shape(credential: Credential, user: str, now: str) -> Params:
    return {
        "UserName": user,
        "AccessKeyId": credential.access_key_id,
        "Status": "Active",
        "SecretAccessKey": credential.secret_access_key,
        "CreateDate": now,
    }
