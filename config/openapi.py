"""The published API contract: error responses and the self-hosted docs page.

Every operation of the OpenAPI document lists the error statuses it can answer, all in one
`ApiError` shape `{code, message, detail}`. The statuses follow from what the operation is:

- 400 always (a domain rule refused the request);
- 401 and 403 when it needs a signed-in account (no or a revoked token; not allowed for this account,
  e.g. a staff permission or a distributor-only action);
- 404 when it names an object (a path parameter, an `*_id` field) or looks up the caller's own records;
- 409 for writes (the object's state changed meanwhile, stock ran out, a duplicate);
- 413 when it takes a request body, 422 when it takes any input;
- 429 when it is rate-limited (a ninja throttle, or a view marked with
  `fenxiao.common.api_contract.rate_limited`);
- and any 4xx status of a `DomainError` the view raises, itself or through the project functions it
  calls (a login's 401, a sold-out 409, a rate limit's 429).

The codes are read once from the sources: each app's `DomainError` subclass raised with a literal
code (and status), plus the generic codes of config/api.py's handlers and the request guards.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase
from ninja.utils import normalize_path

from fenxiao.common.api_contract import RATE_LIMITED_ATTR
from fenxiao.common.errors import DomainError

ROOT = Path(__file__).resolve().parent.parent
APPS_DIR = ROOT / "fenxiao"
ERROR_SCHEMA = "ApiError"
ERROR_CODE_SCHEMA = "ApiErrorCode"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_SOURCES = {"body", "form", "file"}
# the modules whose refusals any operation can answer (the input rules applied before every view)
REQUEST_GUARDS = ("api_guard.py", "validation.py")

STATUS_TEXT = {
    400: "请求被业务规则拒绝 Bad request",
    401: "未登录或令牌无效 Not authenticated",
    403: "没有权限 Forbidden",
    404: "对象不存在 Not found",
    409: "状态冲突 Conflict",
    413: "请求体过大 Payload too large",
    422: "请求参数不正确 Invalid input",
    424: "外部服务（微信支付、微信、短信）暂时不可用 An outside provider failed",
    429: "请求过于频繁 Too many requests",
    503: "暂时不可用，请稍后重试 Temporarily unavailable",
}


# --- error codes read from the sources ----------------------------------------------------------


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _code_enums() -> dict[str, type]:
    """Every error-code enum by class name: `CommonCode` and each app error's `codes`."""
    from fenxiao.common.errors import CommonCode

    enums: dict[str, type] = {"CommonCode": CommonCode}
    pending = [DomainError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub.codes is not None:
                enums[sub.codes.__name__] = sub.codes
            pending.append(sub)
    return enums


def _code_value(node: ast.AST) -> str | None:
    """A code written as a literal or as a member of a code enum (`OrderCode.EMPTY_ORDER`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        enum = _code_enums().get(node.value.id)
        member = getattr(enum, node.attr, None) if enum is not None else None
        if member is not None:
            return str(member.value)
    return None


def _literal_code(node: ast.Call) -> str | None:
    for kw in node.keywords:
        if kw.arg == "code":
            return _code_value(kw.value)
    if node.args:
        return _code_value(node.args[0])
    return None


def _literal_status(node: ast.Call) -> int | None:
    for kw in node.keywords:
        if kw.arg == "status" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, int):
            return kw.value.value
    return None


def _error_classes() -> dict[str, int]:
    """Every DomainError subclass by name, with its default status."""
    classes: dict[str, int] = {"DomainError": DomainError.status}
    pending = [DomainError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            classes[sub.__name__] = getattr(sub, "status", 400)
            pending.append(sub)
    return classes


def _source_files(app_dir: Path):
    for path in sorted(app_dir.rglob("*.py")):
        parts = set(path.relative_to(app_dir).parts)
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


@functools.cache
def _codes_in_file(path: Path) -> tuple[tuple[str, int], ...]:
    classes = _error_classes()
    found: set[tuple[str, int]] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in classes:
                code = _literal_code(node)
                if code:
                    found.add((code, _literal_status(node) or classes[name]))
            elif name == "_error" and len(node.args) >= 3:
                status, code = node.args[1], node.args[2]
                value = _code_value(code)
                if isinstance(status, ast.Constant) and value:
                    found.add((value, int(status.value)))
        elif isinstance(node, ast.Dict):
            # a table status -> code, like the generic HttpError codes
            pairs = list(zip(node.keys, node.values, strict=False))
            if pairs and all(
                isinstance(k, ast.Constant) and isinstance(k.value, int) and 400 <= k.value < 600 and _code_value(v)
                for k, v in pairs
            ):
                found.update((_code_value(v), k.value) for k, v in pairs)
    return tuple(sorted(found))


@functools.cache
def error_codes() -> dict[str, dict[int, tuple[str, ...]]]:
    """`{app: {status: codes}}` for every app, plus `api` for the handlers and request guards."""
    catalog: dict[str, dict[int, set[str]]] = {}
    # "api": what any operation can answer, from the handlers and the request guards
    sources: list[tuple[str, Path]] = [("api", Path(__file__).resolve().parent / "api.py")]
    sources.extend(("api", APPS_DIR / "common" / name) for name in REQUEST_GUARDS)
    for app_dir in sorted(p for p in APPS_DIR.iterdir() if (p / "__init__.py").exists()):
        sources.extend((app_dir.name, path) for path in _source_files(app_dir))
    for app, path in sources:
        if not path.exists():
            continue
        for code, status in _codes_in_file(path):
            catalog.setdefault(app, {}).setdefault(status, set()).add(code)
    return {
        app: {status: tuple(sorted(codes)) for status, codes in sorted(by_status.items())}
        for app, by_status in sorted(catalog.items())
    }


# --- statuses of one operation ------------------------------------------------------------------


def _raised_in(tree: ast.AST) -> set[tuple[str, int]]:
    classes = _error_classes()
    errors: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in classes and _literal_code(node):
            errors.add((_literal_code(node), _literal_status(node) or classes[_call_name(node)]))
    return errors


def _callees(func, tree: ast.AST):
    """The project functions `func` calls by name (`helper(...)`, `services.place(...)`)."""
    scope = getattr(func, "__globals__", {})
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = None
        if isinstance(node.func, ast.Name):
            target = scope.get(node.func.id)
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            owner = scope.get(node.func.value.id)
            if inspect.ismodule(owner):
                target = getattr(owner, node.func.attr, None)
        target = inspect.unwrap(target) if inspect.isfunction(target) else None
        if target is not None and (target.__module__ or "").startswith("fenxiao."):
            yield target


@functools.cache
def raised_errors(func, depth: int = 4) -> frozenset[tuple[str, int]]:
    """`(code, status)` of the DomainErrors `func` raises, directly or through the project functions
    it calls (up to `depth` calls deep): a login's 401, a sold-out 409, a rate limit's 429."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return frozenset()
    errors = _raised_in(tree)
    if depth > 0:
        for callee in set(_callees(func, tree)):
            if callee is not func:
                errors |= raised_errors(callee, depth - 1)
    return frozenset(errors)


def operation_statuses(operation, path: str) -> list[int]:
    sources = {getattr(model, "__ninja_param_source__", "") for model in operation.models}
    fields: set[str] = set()
    for model in operation.models:
        for name, field in model.model_fields.items():
            fields.add(name)
            annotation = field.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                fields.update(annotation.model_fields)
    authenticated = bool(operation.auth_callbacks)
    view = operation.view_func
    statuses = {400}
    if authenticated:
        statuses |= {401, 403}
    if authenticated or "{" in path or any(re.search(r"(^|_)ids?$", name) for name in fields):
        statuses.add(404)
    if set(operation.methods) & WRITE_METHODS:
        statuses.add(409)
    if sources & BODY_SOURCES:
        statuses.add(413)
    if operation.models:
        statuses.add(422)
    if operation.throttle_objects or getattr(view, RATE_LIMITED_ATTR, False):
        statuses.add(429)
    statuses |= {status for _code, status in raised_errors(inspect.unwrap(view)) if 400 <= status != 500}
    return sorted(statuses)


def _response(status: int, view) -> dict[str, Any]:
    generic = error_codes().get("api", {}).get(status, ())
    own = {code for code, raised in raised_errors(inspect.unwrap(view)) if raised == status}
    codes = sorted(set(generic) | own)
    description = STATUS_TEXT.get(status, "Error")
    if codes:
        description += " — codes: " + ", ".join(f"`{c}`" for c in codes)
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}},
    }


def error_schema() -> dict[str, Any]:
    catalog = error_codes()
    lines = [f"- {app}: " + ", ".join(sorted({c for codes in by.values() for c in codes})) for app, by in catalog.items()]
    return {
        "title": ERROR_SCHEMA,
        "type": "object",
        "description": "每个错误的统一格式 Every error answer: `{code, message, detail}`.",
        "properties": {
            "code": {
                "type": "string",
                "description": "稳定的错误码 A stable machine-readable code; by app:\n" + "\n".join(lines),
            },
            "message": {"type": "string", "description": "给用户看的说明 A human-readable message."},
            "detail": {"type": "object", "description": "与错误相关的数据 Data about the error.", "additionalProperties": True},
        },
        "required": ["code", "message", "detail"],
    }


def error_code_schema() -> dict[str, Any]:
    catalog = error_codes()
    return {
        "title": ERROR_CODE_SCHEMA,
        "type": "string",
        "description": "所有已知错误码 Every known error code.",
        "enum": sorted({c for by in catalog.values() for codes in by.values() for c in codes}),
    }


class FenxiaoAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document declares every operation's error responses."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        prefix = path_prefix if path_prefix is not None else self.get_root_path(path_params or {})
        paths = schema.get("paths", {})
        for bound_router in self._get_bound_routers():
            for path, path_view in bound_router.path_operations.items():
                full_path = normalize_path("/" + prefix + "/".join([i for i in (bound_router.prefix, path) if i]))
                full_path = re.sub(r"{[^}:]+:", "{", full_path)
                for operation in path_view.operations:
                    if not operation.include_in_schema:
                        continue
                    for method in operation.methods:
                        documented = paths.get(full_path, {}).get(method.lower())
                        if documented is None:
                            continue
                        responses = documented.setdefault("responses", {})
                        for status in operation_statuses(operation, full_path):
                            if status not in responses and str(status) not in responses:
                                responses[status] = _response(status, operation.view_func)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components[ERROR_SCHEMA] = error_schema()
        components[ERROR_CODE_SCHEMA] = error_code_schema()
        return schema


# --- the docs page, from our own static files ---------------------------------------------------


class SelfHostedSwagger(DocsBase):
    """Swagger UI served from /static/vendor/swagger-ui/ (copied from npm), no CDN, no inline script."""

    template = "api/docs.html"

    def __init__(self, settings: dict[str, Any] | None = None):
        self.settings = {"layout": "BaseLayout", "deepLinking": True, **(settings or {})}

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        config = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        context = {"api": api, "swagger_config": config}
        return render(request, self.template, context)
