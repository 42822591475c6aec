"""Unit tests of the docs readers: YFM tables, page identity, JSON examples, type mapping."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from codegen.importers import examples, yfm
from codegen.importers.docs import method_kind
from codegen.importers.lenient import infer, loosen, widen
from codegen.importers.pages import method_name
from codegen.importers.types import tokens_schema

TABLE = """
#|
|| **Name**
`type` | **Description** ||
|| **id***
[`integer`](../data-types.md) | text ||
|| **flag^*^**
[`boolean`](../data-types.md) | text ||
|| **deal**
[`deal[]`](crm-deal-get.md#deal) | a `|` pipe in code ||
|#
"""


def test_field_table_rows() -> None:
    (table,) = yfm.tables(TABLE)
    rows = yfm.field_rows(table)
    assert [(row.name, row.required, row.types) for row in rows] == [
        ("id", True, ["integer"]),
        ("flag", True, ["boolean"]),
        ("deal", False, ["deal[]"]),
    ]
    assert rows[2].type_links == ["crm-deal-get.md#deal"]


def test_tables_inside_code_fences_are_ignored() -> None:
    assert yfm.tables("```\n#|\n|| **a** | b ||\n|#\n```\n") == []


def test_method_name_prefers_the_slug_match() -> None:
    assert (
        method_name("# Get Deal crm.deal.get", ["crm.deal.get"], "crm-deal-get") == "crm.deal.get"
    )
    assert method_name("# Fields", ["crm.item.fields"], "crm-item-fields") == "crm.item.fields"
    assert method_name("# Typo ctrigger.delete", ["x.y"], "other") == "ctrigger.delete"


def test_method_kind() -> None:
    assert method_kind("crm.deal.list") == "list"
    assert method_kind("tasks.task.getFields") == "fields"
    assert method_kind("tasks.task.field.list") == "fields"
    assert method_kind("humanresources.node.edit") == "update"
    assert method_kind("im.message.add") == "add"
    assert method_kind("crm.item.productrow.set") == "action"


def test_lenient_json() -> None:
    text = '{\n  "a": 1, // note\n  "url": "https://x",\n  ...\n  "b": [1, 2,],\n}'
    assert examples.parse_lenient(text) == {"a": 1, "url": "https://x", "b": [1, 2]}
    assert examples.is_missing(examples.parse_lenient("Array ( [a] => 1 )"))


def test_curl_body_with_shell_substitution() -> None:
    page = '```bash\ncurl -X POST \\\n-d \'{"f":"\'"$(date)"\'","auth":"x"}\' \\\nhttps://h/rest/m\n```'
    assert examples.request_example(page) == {"f": "$(date)"}


def test_type_tokens() -> None:
    def resolve(_token: str) -> None:
        return None

    assert tokens_schema(["integer"], resolve) == {"type": "integer"}
    assert tokens_schema(["string|null"], resolve) == {
        "anyOf": [{"type": "string"}, {"type": "null"}]
    }
    assert tokens_schema(["crm_status"], resolve) == {
        "type": "string",
        "x-bitrix-type": "crm_status",
    }
    assert tokens_schema(["user[]"], resolve)["items"]["type"] == "integer"


def test_loosened_schemas_accept_wire_forms() -> None:
    schema = loosen({"type": "object", "properties": {"ID": {"type": "integer"}}})
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"ID": "410", "UF_CRM_1": "x"})
    assert validator.is_valid({"ID": None})


def test_widen_admits_the_example_and_marks_new_fields() -> None:
    schema = loosen({"type": "object", "properties": {"ID": {"type": "integer"}}})
    value = {"ID": {"nested": 1}, "NAME": "a", "TAGS": ["x"]}
    widen(schema, value)
    assert Draft202012Validator(schema).is_valid(value)
    assert schema["properties"]["NAME"]["x-source"] == "example"


def test_infer_numeric_key_maps() -> None:
    schema = infer({"1": {"a": 1}, "2": {"a": 2, "b": "x"}})
    assert "properties" not in schema
    assert set(schema["additionalProperties"]["properties"]) == {"a", "b"}


def test_numeric_string_ids_are_integers_that_accept_strings() -> None:
    schema = infer({"ID": "410", "ASSIGNED_BY_ID": "1", "PHONE": "123", "ownerId": "7"})
    kinds = {key: prop["type"][0] for key, prop in schema["properties"].items()}
    assert kinds == {
        "ID": "integer",
        "ASSIGNED_BY_ID": "integer",
        "PHONE": "string",
        "ownerId": "integer",
    }
