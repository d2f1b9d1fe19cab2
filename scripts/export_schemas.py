"""Writes the two schemas the web client's types are generated from (`npm run --prefix web
types`), offline: the HTTP API's OpenAPI document, as /api/openapi.json serves it, and the
JSON schema of every frame the server sends (chat.models.frames).

    .venv/bin/python scripts/export_schemas.py DIR    # writes DIR/openapi.json, DIR/frames.schema.json
"""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lambdas"))
sys.path.insert(0, str(ROOT))

from pydantic import Field, TypeAdapter  # noqa: E402
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue  # noqa: E402
from pydantic_core import core_schema  # noqa: E402

from local.environment import developer_defaults, set_defaults, stand_ins  # noqa: E402

set_defaults(developer_defaults() | stand_ins())  # the route table is read; no request is served

from chat.handlers.http_api import OPENAPI, app  # noqa: E402
from chat.models.frames import MessagePush, ServerFrame  # noqa: E402


class FrameSchema(GenerateJsonSchema):
    """Frames are closed (no key beyond those listed), and their fields untitled: a title
    would become a type of its own in the generated TypeScript."""

    def typed_dict_schema(self, schema: core_schema.TypedDictSchema) -> JsonSchemaValue:
        return {**super().typed_dict_schema(schema), "additionalProperties": False}

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def frames_schema() -> dict[str, Any]:
    """`ServerFrame` (keyed on `type`) and `MessagePush` in $defs, with what they embed."""
    roots: dict[str, TypeAdapter[Any]] = {
        "ServerFrame": TypeAdapter(Annotated[ServerFrame, Field(discriminator="type")]),
        "MessagePush": TypeAdapter(MessagePush),
    }
    schemas, document = TypeAdapter.json_schemas(
        [(name, "serialization", adapter) for name, adapter in roots.items()], schema_generator=FrameSchema
    )
    definitions = document.pop("$defs")
    definitions["ServerFrame"] = schemas[("ServerFrame", "serialization")]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Chat server frames",
        "description": "WebSocket frames the server sends (ServerFrame) and its Web Push payload (MessagePush).",
        "$defs": dict(sorted(definitions.items())),
    }


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    openapi = json.loads(app.get_openapi_json_schema(**OPENAPI))  # type: ignore[arg-type]
    for name, schema in (("openapi.json", openapi), ("frames.schema.json", frames_schema())):
        (out / name).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
