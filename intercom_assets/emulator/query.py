"""Search query language: validation, predicates over conversation states, index plans.

Range filters on `created_at` / `updated_at` become index plans (bisect ranges on the store's
sorted indexes); every other filter is evaluated on the candidates, rendering a document only
when a field outside the compact state is needed (`source.*`, `statistics.*` ...).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intercom_assets.emulator.data import ConversationState
from intercom_assets.emulator.errors import bad_request

MAX_GROUP_DEPTH = 2
MAX_FILTERS_PER_GROUP = 15
RANGE_OPS = frozenset({">", "<", ">=", "<="})
STRING_OPS = frozenset({"~", "!~", "^", "$"})
OPERATORS = RANGE_OPS | STRING_OPS | {"=", "!=", "IN", "NIN"}
INDEXED = ("created_at", "updated_at")
TIMESTAMP_FIELDS = frozenset({"created_at", "updated_at", "waiting_since", "snoozed_until"})
SORTABLE = TIMESTAMP_FIELDS | {"id"}
NUMERIC_FIELDS = SORTABLE | {"admin_assignee_id", "team_assignee_id"}
BOOLEAN_FIELDS = frozenset({"open", "read", "ai_agent_participated"})
DOCUMENT_PREFIXES = ("source.", "statistics.", "conversation_rating.", "ai_agent.")
LIST_FIELDS = {
    "contact_ids": ("contacts", "contacts"),
    "teammate_ids": ("teammates", "teammates"),
    "tag_ids": ("tags", "tags"),
}
LEGACY_PRIORITY = {"none": "not_priority"}

Getter = Callable[[ConversationState], Any]
Predicate = Callable[[ConversationState], bool]
Document = Callable[[ConversationState], dict[str, Any]]


def state_getters(modern: bool, id_comparison: str = "numeric") -> dict[str, Getter]:
    """Fields answered from the compact state, rendered as the requested version would.

    `id` is a number unless ids compare as strings (`EmulatorConfig.id_comparison`).
    """

    def assignee(value: int) -> int | None:
        return value if modern or value else None

    return {
        "id": (lambda s: str(s.id)) if id_comparison == "string" else (lambda s: s.id),
        "created_at": lambda s: s.created_at,
        "updated_at": lambda s: s.updated_at,
        "waiting_since": lambda s: s.waiting_since,
        "snoozed_until": lambda s: s.snoozed_until,
        "state": lambda s: s.state,
        "open": lambda s: s.state != "closed",
        "read": lambda s: s.read,
        "priority": lambda s: s.priority if modern else LEGACY_PRIORITY.get(s.priority, "priority"),
        "admin_assignee_id": lambda s: assignee(s.admin_assignee_id),
        "team_assignee_id": lambda s: assignee(s.team_assignee_id),
    }


def _document_getter(field: str, document: Document) -> Getter:
    if field in LIST_FIELDS:
        outer, inner = LIST_FIELDS[field]

        def ids(state: ConversationState) -> list[str]:
            container = document(state).get(outer) or {}
            return [item.get("id") for item in container.get(inner, [])]

        return ids
    path = field.split(".")

    def walk(state: ConversationState) -> Any:
        value: Any = document(state)
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return walk


def _coerce(field: str, operator: str, value: Any, id_comparison: str = "numeric") -> Any:
    """Normalise a filter value: numbers may arrive as numeric strings, booleans as text."""
    if operator in ("IN", "NIN"):
        if not isinstance(value, list):
            raise bad_request(f"Operator {operator} requires an array value for field {field}")
        return [_coerce(field, "=", item, id_comparison) for item in value]
    if field == "id" and operator in RANGE_OPS and id_comparison == "reject":
        raise bad_request(
            f"Operator {operator} is only supported for integer and date fields; "
            "id is a string field"
        )
    if field == "id" and id_comparison == "string":
        if value is None or isinstance(value, (bool, dict, list)):
            raise bad_request(f"Invalid value for {field}: {value!r}")
        return str(value)
    numeric_stat = field.startswith("statistics.") and field != "statistics.last_closed_by_id"
    numeric = field in NUMERIC_FIELDS or numeric_stat or operator in RANGE_OPS
    if operator in RANGE_OPS and value is None:
        raise bad_request(f"Operator {operator} requires a number for field {field}")
    if numeric and value is not None:
        if isinstance(value, bool):
            raise bad_request(f"Invalid value for {field}: {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"Invalid value for {field}: {value!r}") from None
    if field in BOOLEAN_FIELDS and isinstance(value, str):
        return value.lower() == "true"
    if operator in STRING_OPS and not isinstance(value, str):
        raise bad_request(f"Operator {operator} requires a string value for field {field}")
    return value


def _compare(operator: str, actual: Any, expected: Any) -> bool:
    if isinstance(actual, list):
        hit = (expected in actual) if operator in ("=", "!=") else None
        if operator == "=":
            return bool(hit)
        if operator == "!=":
            return not hit
        if operator in ("IN", "NIN"):
            overlap = any(item in actual for item in expected)
            return overlap if operator == "IN" else not overlap
        return False
    if operator == "=":
        return actual == expected
    if operator == "!=":
        return actual != expected
    if operator == "IN":
        return actual in expected
    if operator == "NIN":
        return actual not in expected
    if operator in RANGE_OPS:
        comparable = isinstance(actual, str) and isinstance(expected, str)
        if not comparable and (not isinstance(actual, int) or isinstance(actual, bool)):
            return False
        return {
            ">": actual > expected,
            "<": actual < expected,
            ">=": actual >= expected,
            "<=": actual <= expected,
        }[operator]
    if not isinstance(actual, str):
        return False
    text, needle = actual.lower(), expected.lower()
    return {
        "~": needle in text,
        "!~": needle not in text,
        "^": text.startswith(needle),
        "$": text.endswith(needle),
    }[operator]


def _known_field(field: str) -> bool:
    return (
        field in NUMERIC_FIELDS
        or field in BOOLEAN_FIELDS
        or field in LIST_FIELDS
        or field in ("state", "priority")
        or field.startswith(DOCUMENT_PREFIXES)
    )


def compile_query(
    node: Any, modern: bool, document: Document, depth: int = 0, id_comparison: str = "numeric"
) -> Predicate:
    """Validate a query tree and turn it into a predicate over conversation states."""
    if not isinstance(node, dict):
        raise bad_request("query must be an object")
    if "field" in node:
        field, operator = node.get("field"), node.get("operator")
        if not isinstance(field, str) or not _known_field(field):
            raise bad_request(f"Unsupported field: {field!r}")
        if operator not in OPERATORS:
            raise bad_request(f"Unsupported operator: {operator!r}")
        expected = _coerce(field, operator, node.get("value"), id_comparison)
        getter = state_getters(modern, id_comparison).get(field) or _document_getter(
            field, document
        )
        return lambda state: _compare(operator, getter(state), expected)
    operator, children = node.get("operator"), node.get("value")
    if operator not in ("AND", "OR") or not isinstance(children, list) or not children:
        raise bad_request("A query group needs operator AND or OR and a non-empty value array")
    if depth + 1 > MAX_GROUP_DEPTH:
        raise bad_request(f"Queries support at most {MAX_GROUP_DEPTH} levels of nested groups")
    if len(children) > MAX_FILTERS_PER_GROUP:
        raise bad_request(f"A query group supports at most {MAX_FILTERS_PER_GROUP} filters")
    predicates = [
        compile_query(child, modern, document, depth + 1, id_comparison) for child in children
    ]
    if operator == "AND":
        return lambda state: all(predicate(state) for predicate in predicates)
    return lambda state: any(predicate(state) for predicate in predicates)


@dataclass(frozen=True)
class Plan:
    """An index range that contains every match; `exact` means it IS the match set."""

    field: str
    low: float
    high: float
    exact: bool


def _filter_plan(node: dict[str, Any]) -> Plan | None:
    field, operator, value = node.get("field"), node.get("operator"), node.get("value")
    if field not in INDEXED or operator not in RANGE_OPS | {"="} or value is None:
        return None
    bound = int(value)
    low, high = {
        ">": (bound + 1, math.inf),
        ">=": (bound, math.inf),
        "<": (-math.inf, bound - 1),
        "<=": (-math.inf, bound),
        "=": (bound, bound),
    }[operator]
    return Plan(field, low, high, True)


def plan_query(node: dict[str, Any]) -> Plan | None:
    """The tightest time-index range implied by a (validated) query, if any."""
    if "field" in node:
        return _filter_plan(node)
    children = [plan_query(child) for child in node["value"]]
    if node["operator"] == "OR":
        if any(plan is None for plan in children):
            return None
        fields = {plan.field for plan in children if plan}
        if len(fields) != 1:
            return None
        spans = sorted((plan.low, plan.high) for plan in children if plan)
        reach, contiguous = spans[0][1], True
        for low, high in spans[1:]:
            contiguous = contiguous and low <= reach + 1
            reach = max(reach, high)
        exact = contiguous and all(plan.exact for plan in children if plan)
        return Plan(fields.pop(), spans[0][0], reach, exact)
    plans = [plan for plan in children if plan]
    if not plans:
        return None
    fields = sorted({plan.field for plan in plans})
    merged = [
        Plan(
            field,
            max(plan.low for plan in plans if plan.field == field),
            min(plan.high for plan in plans if plan.field == field),
            all(plan.exact for plan in plans if plan.field == field),
        )
        for field in fields
    ]
    best = min(merged, key=lambda plan: plan.high - plan.low)
    exact = best.exact and len(plans) == len(children) and len(fields) == 1
    return Plan(best.field, best.low, best.high, exact)
