"""Operations generated from the schema itself, so a new root field cannot slip past the
security tests: every root field, reached four ways, with arguments built from its types."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_composite_type,
)
from graphql.pyutils import Undefined

from schema import build_schema

#: An argument's value by its name; ``None`` means "build one from the type".
ArgumentValues = Callable[[str], str | None]
PATHS = ("direct", "alias", "inline fragment", "named fragment")
ROOTS = (("query", "Query"), ("mutation", "Mutation"), ("subscription", "Subscription"))


@dataclass(frozen=True, slots=True)
class RootField:
    operation: str  # query | mutation | subscription
    type_name: str
    name: str
    field: GraphQLField

    def call(self, values: ArgumentValues) -> str:
        """The field with its required arguments."""
        return f"{self.name}{_arguments(self.field, values)}"

    def document(self, path: str, values: ArgumentValues) -> str:
        """The operation selecting this field by ``path``; its response key is ``probe`` for
        the alias and the field's name otherwise."""
        selection = f"{self.call(values)}{_subselection(self.field)}"
        if path == "direct":
            return f"{self.operation} {{ {selection} }}"
        if path == "alias":
            return f"{self.operation} {{ probe: {selection} }}"
        if path == "inline fragment":
            return f"{self.operation} {{ ... on {self.type_name} {{ {selection} }} }}"
        return (
            f"{self.operation} {{ ...Probe }} fragment Probe on {self.type_name} {{ {selection} }}"
        )


def graphql_schema() -> GraphQLSchema:
    return build_schema()._schema


def root_fields() -> Iterator[RootField]:
    schema = graphql_schema()
    for operation, type_name in ROOTS:
        root = schema.get_type(type_name)
        assert isinstance(root, GraphQLObjectType)
        for name, field in root.fields.items():
            yield RootField(operation, type_name, name, field)


def _arguments(field: GraphQLField, values: ArgumentValues) -> str:
    required = [
        f"{name}: {values(name) or _literal(arg.type, values)}"
        for name, arg in field.args.items()
        if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
    ]
    return f"({', '.join(required)})" if required else ""


def _literal(type_: GraphQLInputType, values: ArgumentValues) -> str:
    if isinstance(type_, GraphQLNonNull):
        return _literal(type_.of_type, values)
    if isinstance(type_, GraphQLList):
        return "[]"
    if isinstance(type_, GraphQLEnumType):
        return str(next(iter(type_.values)))
    if isinstance(type_, GraphQLInputObjectType):
        fields = [
            f"{name}: {values(name) or _literal(f.type, values)}"
            for name, f in type_.fields.items()
            if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
        ]
        return "{" + ", ".join(fields) + "}"
    return {"Int": "1", "Float": "1.0", "Boolean": "false"}.get(type_.name, '"none"')


def _subselection(field: GraphQLField) -> str:
    return " { __typename }" if is_composite_type(get_named_type(field.type)) else ""
