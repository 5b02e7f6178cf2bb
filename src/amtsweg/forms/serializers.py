"""API representations of form definitions and versions; the form itself is ``FormSchema`` JSON."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from pydantic.json_schema import model_json_schema
from rest_framework import serializers

from .models import FormDefinition, FormVersion
from .schema import FormSchema


class FormSchemaExtension(OpenApiSerializerExtension):
    """Documents ``FormSchema`` from its pydantic model, in the OpenAPI 3.0 dialect.

    Pydantic writes JSON Schema 2020-12 (``{"type": "null"}`` branches, ``const``); the API schema
    is OpenAPI 3.0.3, so optional values become ``nullable`` and constants one-value enums.
    """

    target_class = "amtsweg.forms.schema.FormSchema"
    priority = 1  # before drf-spectacular's generic pydantic extension

    def get_name(self, auto_schema: Any, direction: Any) -> str:
        return "FormSchema"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = model_json_schema(
            FormSchema, ref_template="#/components/schemas/{model}", mode="serialization"
        )
        for name, sub_schema in schema.pop("$defs", {}).items():
            component = ResolvedComponent(  # type: ignore[no-untyped-call]
                name=name, type=ResolvedComponent.SCHEMA, object=name, schema=openapi_30(sub_schema)
            )
            auto_schema.registry.register_on_missing(component)
        result: dict[str, Any] = openapi_30(schema)
        return result


def openapi_30(node: Any) -> Any:
    """Rewrite a JSON Schema 2020-12 fragment (as pydantic writes it) for OpenAPI 3.0."""
    if isinstance(node, list):
        return [openapi_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: openapi_30(value) for key, value in node.items() if key != "title"}
    if "const" in node:
        node["enum"] = [node.pop("const")]
    variants = node.get("anyOf")
    if isinstance(variants, list) and {"type": "null"} in variants:
        rest = [variant for variant in variants if variant != {"type": "null"}]
        del node["anyOf"]
        if len(rest) == 1 and "$ref" not in rest[0]:
            node = {**rest[0], **node}
        elif len(rest) == 1:
            node["allOf"] = rest
        else:
            node["anyOf"] = rest
        node["nullable"] = True
    if node.get("default", 0) is None and not node.get("nullable"):
        del node["default"]
    return node


@extend_schema_field(FormSchema)  # type: ignore[arg-type]  # handled by FormSchemaExtension
class FormSchemaField(serializers.JSONField):
    """The form definition (see ``forms/schema.py``), documented from the pydantic model."""


@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^({'|'.join(FormVersion.Status.values)})$",
        "description": "draft: not yet in use; published: the version citizens get; retired: replaced",
    }
)
class FormVersionStatusField(serializers.ChoiceField):
    """The version's status. Documented by a pattern, not an enum: drf-spectacular would name the enum
    ``StatusEnum`` and collide with other modules' ``status`` enums (a warning that fails CI)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=FormVersion.Status.choices, read_only=True, **kwargs)


class FormVersionSummarySerializer(serializers.ModelSerializer[FormVersion]):
    status = FormVersionStatusField()
    unsupported_count = serializers.SerializerMethodField(
        help_text="Constructs of the source the form does not execute (see the version's schema)."
    )

    class Meta:
        model = FormVersion
        fields = ["id", "number", "status", "source", "created_at", "published_at", "unsupported_count"]

    def get_unsupported_count(self, version: FormVersion) -> int:
        return len(version.schema.get("unsupported", [])) if isinstance(version.schema, dict) else 0


class FormDefinitionSerializer(serializers.ModelSerializer[FormDefinition]):
    service: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="leika_key", read_only=True, help_text="LeiKa key"
    )
    authority: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="ags",
        read_only=True,
        allow_null=True,
        help_text="AGS of the variant's authority; null: the alliance form",
    )
    versions = FormVersionSummarySerializer(many=True, read_only=True, help_text="Newest first")

    class Meta:
        model = FormDefinition
        fields = ["id", "name", "service", "authority", "created_at", "versions"]


class FormVersionSerializer(serializers.ModelSerializer[FormVersion]):
    form: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        source="definition", read_only=True, help_text="Form id"
    )
    service: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        source="definition.service", slug_field="leika_key", read_only=True, help_text="LeiKa key"
    )
    authority: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        source="definition.authority",
        slug_field="ags",
        read_only=True,
        allow_null=True,
        help_text="AGS of the variant's authority; null: the alliance form",
    )
    status = FormVersionStatusField()
    schema = FormSchemaField(read_only=True)

    class Meta:
        model = FormVersion
        fields = [
            "id",
            "form",
            "service",
            "authority",
            "number",
            "status",
            "source",
            "created_at",
            "published_at",
            "schema",
        ]


class PublishedFormSerializer(serializers.Serializer[FormVersion]):
    """The form a citizen fills in: the authority's published variant, else the alliance form."""

    service = serializers.CharField(source="definition.service.leika_key", help_text="LeiKa key")
    authority = serializers.CharField(
        source="definition.authority.ags",
        allow_null=True,
        default=None,
        help_text="AGS of the authority whose variant this is; null: the alliance form",
    )
    version = serializers.IntegerField(source="number", help_text="Version number of the form")
    published_at = serializers.DateTimeField()
    schema = FormSchemaField()


class FormImportSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="XDatenfelder 2.0 or 3.0.0 message (XML, at most 5 MB)")
    service = serializers.RegexField(r"^\d{14}$", help_text="LeiKa key of the service")
    authority = serializers.RegexField(
        r"^\d{8}$",
        required=False,
        help_text="AGS: import as this authority's variant; without it: the alliance form",
    )
    publish = serializers.BooleanField(default=False, help_text="Publish the imported version at once")


class FormImportResultSerializer(serializers.Serializer[Any]):
    created = serializers.BooleanField(
        help_text="False: identical to the newest version, nothing new was written"
    )
    version = FormVersionSerializer()
