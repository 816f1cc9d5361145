"""The query options of a SensorThings request: each option, nested ``$expand`` options,
defaults left to the caller, and refusals that name the option (501 for OData options
SensorThings does not implement)."""

from __future__ import annotations

import pytest

from dothi.errors import DothiError, InvalidInput
from dothi.sensors.sta.odata import Binary, Call, Lit, Prop, parse_expression
from dothi.sensors.sta.query import (
    Expand,
    OrderBy,
    QueryOptions,
    nested_expands,
    parse_query,
    split_top_level,
)


def refused(params: dict[str, str]) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_query(params)
    return info.value


def test_nothing_asked_leaves_the_defaults_to_the_caller() -> None:
    options = parse_query({"page": "2", "f": "json"})
    assert options == QueryOptions()
    assert (options.top, options.skip, options.count, options.filter) == (None, None, None, None)
    assert (options.select, options.expand, options.orderby) == ((), (), ())


def test_every_option() -> None:
    options = parse_query(
        {
            "$filter": "result gt 5",
            "$orderby": "phenomenonTime desc,id",
            "$select": "id,result,Datastream",
            "$expand": "Datastream",
            "$top": "10",
            "$skip": "20",
            "$count": "true",
            "$resultFormat": "dataArray",
        }
    )
    assert options == QueryOptions(
        filter=Binary("gt", Prop(("result",)), Lit(5, "number")),
        orderby=(OrderBy(Prop(("phenomenonTime",)), True), OrderBy(Prop(("id",)))),
        select=("id", "result", "Datastream"),
        expand=(Expand(("Datastream",)),),
        top=10,
        skip=20,
        count=True,
        result_format="dataArray",
    )


def test_option_names_and_words_in_any_case() -> None:
    options = parse_query({"$TOP": "0", "$Count": "FALSE", "$resultformat": "DATAARRAY"})
    assert (options.top, options.count, options.result_format) == (0, False, "dataArray")


def test_select_trims_and_drops_repeats() -> None:
    assert parse_query({"$select": " id , name,id,@iot.id"}).select == ("id", "name", "@iot.id")


@pytest.mark.parametrize(
    ("params", "message", "position"),
    [
        ({"$top": "-1"}, "$top: expected a non-negative integer, not '-1'", 1),
        ({"$top": "ten"}, "$top: expected a non-negative integer, not 'ten'", 1),
        ({"$skip": "1.5"}, "$skip: expected a non-negative integer, not '1.5'", 1),
        ({"$top": "٣"}, "$top: expected a non-negative integer", 1),
        ({"$count": "yes"}, "$count: expected true or false, not 'yes'", 1),
        ({"$resultFormat": "GeoJSON"}, "only dataArray is supported, not 'GeoJSON'", None),
        ({"$select": "id,,name"}, "$select: expected a property or navigation name, not ''", 4),
        ({"$select": "Datastream/id"}, "not 'Datastream/id'", 1),
        ({"$filter": "name eq"}, "$filter: Syntax error: expected a value", 8),
        ({"$orderby": "id sideways"}, "$orderby: Syntax error: expected 'asc', 'desc'", 4),
        ({"$fliter": "a eq 1"}, "There is no query option $fliter; options: $filter", None),
        ({"$top": "1", "$TOP": "2"}, "The query option $top is given twice ($top, $TOP)", None),
    ],
)
def test_bad_values_name_the_option(
    params: dict[str, str], message: str, position: int | None
) -> None:
    exc = refused(params)
    assert message in exc.en
    assert exc.status == 400
    if position is not None:
        assert exc.en.endswith(f"(at position {position})")
        assert exc.vi.endswith(f"(vị trí {position})")


@pytest.mark.parametrize("name", ["$search", "$format", "$apply", "$compute", "$levels"])
def test_odata_options_left_out_answer_501(name: str) -> None:
    with pytest.raises(DothiError) as info:
        parse_query({name: "x"})
    assert info.value.status == 501
    assert info.value.code == "NotImplemented"
    assert name in info.value.en and name in info.value.vi


# --------------------------------------------------------------------------- $expand


def test_expand_lists_and_paths() -> None:
    options = parse_query({"$expand": "Datastreams/ObservedProperty, Locations"})
    assert options.expand == (
        Expand(("Datastreams", "ObservedProperty")),
        Expand(("Locations",)),
    )


def test_expand_with_nested_options() -> None:
    text = (
        "Datastreams($select=id,name;$filter=name eq 'a;b,c)';$orderby=id desc;"
        "$top=1;$skip=2;$count=true;$expand=Observations($top=2;$orderby=phenomenonTime desc))"
        ",Thing"
    )
    (datastreams, thing) = parse_query({"$expand": text}).expand
    assert thing == Expand(("Thing",))
    assert datastreams == Expand(
        ("Datastreams",),
        QueryOptions(
            filter=Binary("eq", Prop(("name",)), Lit("a;b,c)", "string")),
            orderby=(OrderBy(Prop(("id",)), True),),
            select=("id", "name"),
            expand=(
                Expand(
                    ("Observations",),
                    QueryOptions(top=2, orderby=(OrderBy(Prop(("phenomenonTime",)), True),)),
                ),
            ),
            top=1,
            skip=2,
            count=True,
        ),
    )


def test_expand_options_on_a_path_and_empty_parentheses() -> None:
    (item,) = parse_query({"$expand": "Datastreams/Observations($top=5)"}).expand
    assert item == Expand(("Datastreams", "Observations"), QueryOptions(top=5))
    assert parse_query({"$expand": "Thing()"}).expand == (Expand(("Thing",)),)


def test_expand_filter_with_functions_and_geometry() -> None:
    text = "Locations($filter=st_within(location, geography'POLYGON((0 0, 1 0, 1 1, 0 0))'))"
    (item,) = parse_query({"$expand": text}).expand
    assert isinstance(item.options.filter, Call) and item.options.filter.name == "st_within"


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("Datastreams($top=1", "$expand: A closing ')' is missing", 19),
        ("Datastreams($top=1))", "$expand: Unbalanced ')'", 20),
        ("Datastreams($filter=name eq 'x)", "A closing quote is missing", 32),
        ("Datastreams($filter=name eq)", "$filter: Syntax error: expected a value", 28),
        ("Datastreams($top=x)", "$top: expected a non-negative integer, not 'x'", 18),
        (
            "Datastreams($resultFormat=dataArray)",
            "no query option $resultFormat inside $expand",
            27,
        ),
        ("Datastreams($foo=1)", "no query option $foo inside $expand", 18),
        ("Datastreams(top=1)", "expected an option as $name=value", 13),
        ("Datastreams($top=1)Thing", "the options in parentheses must end the item", 12),
        ("Datastreams,,Thing", "expected a navigation name", 13),
        ("Data streams", "expected a navigation name", 1),
        ("Datastreams/", "expected a navigation name", 1),
        ("Datastreams($top=1;$top=2)", "The query option $top is given twice", None),
    ],
)
def test_expand_errors(text: str, message: str, position: int | None) -> None:
    exc = refused({"$expand": text})
    assert message in exc.en
    if position is not None:
        assert exc.en.endswith(f"(at position {position})")


def test_expand_depth_is_bounded() -> None:
    text = "A($expand=" * 12 + "B" + ")" * 12
    assert "nested too deeply" in refused({"$expand": text}).en
    parse_query({"$expand": "A($expand=" * 9 + "B" + ")" * 9})


def test_nested_expands_one_step_each() -> None:
    text = "Datastreams($top=1),Datastreams/Sensor,Locations,Datastreams/Observations($top=2)"
    options = parse_query({"$expand": text})
    assert nested_expands(options.expand) == (
        Expand(
            ("Datastreams",),
            QueryOptions(
                top=1,
                expand=(
                    Expand(("Sensor",)),
                    Expand(("Observations",), QueryOptions(top=2)),
                ),
            ),
        ),
        Expand(("Locations",)),
    )
    deep = parse_query({"$expand": "Things/Datastreams/Observations($top=3)"}).expand
    assert nested_expands(deep) == (
        Expand(
            ("Things",),
            QueryOptions(
                expand=(
                    Expand(
                        ("Datastreams",),
                        QueryOptions(expand=(Expand(("Observations",), QueryOptions(top=3)),)),
                    ),
                )
            ),
        ),
    )


def test_nested_expands_refuse_two_option_sets_for_one_step() -> None:
    options = parse_query({"$expand": "Datastreams($top=1),Datastreams($top=2)"})
    with pytest.raises(InvalidInput) as info:
        nested_expands(options.expand)
    assert "'Datastreams' is expanded twice with different options" in info.value.en


def test_split_top_level_respects_quotes_and_parentheses() -> None:
    assert split_top_level("a,b(c,d),'e,f''g',h", ",") == [
        ("a", 0),
        ("b(c,d)", 2),
        ("'e,f''g'", 9),
        ("h", 18),
    ]


def test_nested_filters_parse_as_on_their_own() -> None:
    # Node positions stay relative to the expression; syntax errors count from the parameter.
    alone = parse_expression("name eq 'x'")
    (item,) = parse_query({"$expand": "Things($filter=name eq 'x')"}).expand
    assert item.options.filter == alone
    assert isinstance(item.options.filter, Binary) and item.options.filter.pos == alone.pos
