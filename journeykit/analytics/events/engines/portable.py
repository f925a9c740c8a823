"""The analyses' DuckDB SQL in a form other engines run: :func:`to_dialect`.

The query is parsed with sqlglot (DuckDB dialect), rewritten where the target lacks a
DuckDB construct, and generated for the target ("duckdb", "spark" or "bigquery"). The
rewrites keep the results exactly:

* ``ASOF [LEFT] JOIN`` (DuckDB: for each left row, the one right row whose equality keys
  match and whose time is the nearest satisfying the inequality: ``r.ts >= l.t`` the
  earliest at or after, ``r.ts > l.t`` strictly after, ``<=``/``<`` the latest at or
  before / before; ``=`` keys never match NULL, ``IS NOT DISTINCT FROM`` keys match NULL
  to NULL; a right row with a NULL time never matches; the LEFT variant keeps unmatched
  left rows with NULLs; of right rows tied at the nearest time, any one). Rewritten to an
  equi-join on a window: the left's distinct (keys, time) and the right's rows in one
  union, ordered by time per key (at equal times the left row before the right one for
  ``>=``/``<=``, after it for ``>``/``<``); ``first_value(... IGNORE NULLS)`` over the rows
  from the current one on gives each left (keys, time) its right row, joined back by
  keys and time.
* ``MATERIALIZED`` / ``NOT MATERIALIZED`` CTE hints: dropped (only DuckDB plans by them).
* ``to_microseconds(n)``: ``INTERVAL n MICROSECOND``; ``a - b > interval`` (a difference
  of times compared with an interval): ``a > b + interval``.
* ``epoch_us(t)``: ``unix_micros(t)``; ``list_slice(l, a, b)``: the slice of each dialect.
* BigQuery only: ``median(x)`` from the sorted values' middle offsets; ``list_slice`` as the
  0-based ``ARRAY_SLICE``; ``arg_min``/``arg_max`` with a STRUCT key or a FILTER as
  ``ARRAY_AGG(... ORDER BY the key's fields LIMIT 1)``; a join on equal lists by their JSON
  texts; an ORDER BY a list of texts by the joined texts; TIMESTAMP kept TIMESTAMP (not
  DATETIME); window orders without NULLS LAST, a RANGE frame over an interval by UNIX_MICROS.

``to_dialect(sql, "duckdb")`` gives the portable form in DuckDB's dialect, so the rewrite
is tested on DuckDB against the native SQL. sqlglot does the rest of the translation
(``EXCLUDE`` → ``EXCEPT``, lists, 1-based indexing, ``FILTER``, ``struct_pack``...). A
construct the rewrite cannot carry is a ``JourneykitError`` naming it and the dialect.

Example:
    >>> sql = "SELECT a.k, b.v FROM a ASOF LEFT JOIN b ON a.k = b.k AND b.t >= a.t"
    >>> "ASOF" in to_dialect(sql, "spark")
    False
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeykit.core.errors import JourneykitError

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["DIALECTS", "to_dialect"]

#: the dialects :func:`to_dialect` writes
DIALECTS = ("duckdb", "spark", "bigquery")


def to_dialect(sql: str, dialect: str) -> str:
    """``sql`` (DuckDB dialect) rewritten without DuckDB-only constructs, written for ``dialect``.

    Example:
        >>> to_dialect("WITH a AS MATERIALIZED (SELECT 1 AS x) SELECT * FROM a", "duckdb")
        'WITH a AS (SELECT 1 AS x) SELECT * FROM a'
    """
    import sqlglot  # heavy: loaded only when a query goes to another engine (or its portable form)
    from sqlglot.errors import SqlglotError

    if dialect not in DIALECTS:
        raise JourneykitError(f"dialect must be one of {', '.join(DIALECTS)}; got {dialect!r}")
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except SqlglotError as error:
        raise JourneykitError(f"the events query could not be read for {dialect}: {error}") from error
    tree = _portable(tree, dialect)
    try:
        return tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except SqlglotError as error:
        raise JourneykitError(f"the events query has a construct {dialect} lacks: {error}") from error


def _portable(tree: exp.Expr, dialect: str) -> exp.Expr:
    from sqlglot import exp  # heavy: see to_dialect

    for cte in tree.find_all(exp.CTE):
        cte.set("materialized", None)
    tree = tree.transform(lambda node: _functions(node, dialect))
    if dialect == "bigquery":
        for median in list(tree.find_all(exp.Median)):
            if not isinstance(median.parent, exp.Window):
                median.replace(_bigquery_median(median.this))
        _bigquery_array_joins(tree)
        for type_ in list(tree.find_all(exp.DataType)):
            # DuckDB's TIMESTAMP (a naive time, UTC in the kit) as BigQuery's TIMESTAMP, as the
            # GA4 flattening, the side tables and the runner's results have it: not DATETIME,
            # which UNIX_MICROS, TIMESTAMP_TRUNC/ADD/DIFF and comparisons with TIMESTAMPs refuse
            if type_.this in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ):
                type_.set("this", exp.DataType.Type.TIMESTAMPTZ)
        for pick in list(tree.find_all(exp.ArgMin, exp.ArgMax)):
            outer = pick.parent if isinstance(pick.parent, exp.Filter) else pick
            if (outer is not pick or isinstance(pick.expression, exp.Struct)) \
                    and not isinstance(pick.parent, exp.Window):
                outer.replace(_bigquery_pick(pick))
    for tuple_ in list(tree.find_all(exp.Tuple)):  # the BigQuery NULLS LAST keys: two keys
        if isinstance(tuple_.parent, exp.Order | exp.Window) and tuple_.arg_key in ("expressions", "order"):
            items = tuple_.parent.expressions if isinstance(tuple_.parent, exp.Order) else None
            if items is not None:
                index = items.index(tuple_)
                items[index:index + 1] = [exp.Ordered(this=tuple_.expressions[0], nulls_first=True),
                                          tuple_.expressions[1]]
                tuple_.parent.set("expressions", items)
    # innermost first, so a rewritten join's subqueries hold no ASOF join of their own
    for select in reversed(list(tree.find_all(exp.Select))):
        if any((j.args.get("method") or "").upper() == "ASOF" for j in select.args.get("joins") or []):
            _rewrite_asof(select, dialect)
    if dialect == "bigquery":
        _bigquery_windows(tree)
        _bigquery_list_orders(tree)
    return tree


def _functions(node: exp.Expr, dialect: str) -> exp.Expr:
    import sqlglot  # heavy: see to_dialect
    from sqlglot import exp

    if isinstance(node, exp.ArgMin | exp.ArgMax) and dialect == "spark" and not node.args.get("_jk_nulls"):
        # DuckDB's arg_min/arg_max skip rows whose value is NULL, Spark's min_by/max_by do not:
        # no ordering key on those rows (Spark skips NULL keys)
        key = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=node.this.copy(), expression=exp.Null())),
                                   true=node.expression)])
        node.set("expression", key)
        node.set("_jk_nulls", True)
        return node
    if isinstance(node, exp.PercentileCont) and not isinstance(node.parent, exp.WithinGroup | exp.Window):
        # DuckDB's quantile_cont(x, q) (linear interpolation between the two nearest values)
        if dialect == "spark":  # is Spark's percentile(x, q); its percentile_cont takes one argument
            return exp.Anonymous(this="percentile", expressions=[node.this.copy(), node.expression.copy()])
        if dialect == "bigquery":  # BigQuery's PERCENTILE_CONT is a window function only
            return _bigquery_quantile(node.this, node.expression)
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        args = node.expressions
        if name == "to_microseconds" and len(args) == 1:
            return exp.Interval(this=args[0].copy(), unit=exp.Var(this="MICROSECOND"))
        if name == "epoch_us" and len(args) == 1:
            return exp.UnixMicros(this=args[0].copy())
        if name == "list_slice" and len(args) == 3:
            if dialect == "bigquery":
                return _bigquery_slice(*(a.copy() for a in args))
            return exp.ArraySlice(this=args[0].copy(), start=args[1].copy(), end=args[2].copy())
    if isinstance(node, exp.Filter):
        agg = node.this.this if isinstance(node.this, exp.IgnoreNulls) else node.this
        where = node.expression.this if isinstance(node.expression, exp.Where) else node.expression
        if isinstance(agg, exp.AnyValue | exp.Min | exp.Max | exp.Sum | exp.Avg | exp.Count) \
                and not isinstance(agg.this, exp.Distinct):
            # these skip NULLs (DuckDB's any_value too), so the filter goes inside: Spark reads
            # no FILTER after an IGNORE NULLS, BigQuery no FILTER at all
            value = exp.Literal.number(1) if isinstance(agg.this, exp.Star) else agg.this
            inner = type(agg)(this=exp.Case(ifs=[exp.If(this=where.copy(), true=value.copy())]))
            return exp.IgnoreNulls(this=inner) if isinstance(node.this, exp.IgnoreNulls) else inner
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order) and dialect == "spark":
        # Spark's collect_list has no ORDER BY: sort (keys, value) structs, keep the values
        order = node.this
        keys = [exp.alias_(o.this.copy(), f"jk_o{i}") for i, o in enumerate(order.expressions)]
        if any(o.args.get("desc") for o in order.expressions):
            raise JourneykitError("an ordered list with a descending order is not supported for spark")
        packed = exp.Struct(expressions=[*keys, exp.alias_(order.this.copy(), "jk_v")])
        return sqlglot.parse_one(f"transform(array_sort(collect_list({packed.sql('spark')})), jk_e -> jk_e.jk_v)",
                                 read="spark")
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1 and dialect in ("spark", "bigquery"):
        # DuckDB's list[i]: 1-based, NULL out of range (Spark's [] is 0-based and fails out of
        # range under ANSI; BigQuery's [] is 0-based and fails)
        index_node = node.expressions[0]
        # sqlglot keeps a literal index 0-based inside (DuckDB's [2] is 1), any other as written
        one_based = int(index_node.this) + 1 if isinstance(index_node, exp.Literal) and index_node.is_int else None
        base = node.this.sql(dialect)
        index = str(one_based) if one_based is not None else index_node.sql(dialect)
        text = f"try_element_at({base}, {index})" if dialect == "spark" else f"{base}[SAFE_ORDINAL({index})]"
        return sqlglot.parse_one(text, read=dialect)
    unit = node.args.get("unit") if isinstance(node, exp.TimestampTrunc | exp.DateTrunc) else None
    if unit is not None and dialect == "bigquery" and str(unit.this).upper() == "WEEK":
        node = node.copy()
        node.set("unit", exp.Var(this="ISOWEEK"))  # weeks start on Monday, as DuckDB's
        return node
    if isinstance(node, exp.Select) and dialect == "spark":
        # a table alias used as a value (DuckDB, BigQuery: the row as a struct) is struct(a.*) in Spark
        aliases = {t.alias_or_name for t in [node.args["from_"].this] if isinstance(t, exp.Table)} \
            if node.args.get("from_") is not None else set()
        for column in list(node.find_all(exp.Column)):
            if not column.table and column.name in aliases and column.find_ancestor(exp.Select) is node \
                    and isinstance(column.parent, exp.AggFunc):
                column.replace(sqlglot.parse_one(f"STRUCT({column.name}.*)", read="spark"))
        return node
    if isinstance(node, exp.ArraySort) and dialect == "bigquery" and node.expression is None:
        items = node.this.sql("bigquery")  # BigQuery's ARRAY_SORT sorts only an ARRAY_AGG
        return sqlglot.parse_one(f"ARRAY(SELECT jk_e FROM UNNEST({items}) AS jk_e ORDER BY jk_e)", read="bigquery")
    if isinstance(node, exp.Ordered) and dialect == "bigquery" and not node.args.get("desc") \
            and node.args.get("nulls_first") is False:
        # BigQuery sorts NULLs first ascending and writes no NULLS LAST here: sort by "is NULL" first
        return exp.Tuple(expressions=[exp.Is(this=node.this.copy(), expression=exp.Null()),
                                      exp.Ordered(this=node.this.copy(), nulls_first=True)])
    comparisons = (exp.GT, exp.GTE, exp.LT, exp.LTE)
    if isinstance(node, comparisons) and isinstance(node.left, exp.Paren | exp.Sub) \
            and isinstance(node.right, exp.Interval):
        diff = node.left.unnest() if isinstance(node.left, exp.Paren) else node.left
        if isinstance(diff, exp.Sub):  # a - b > i  ->  a > b + i (times: no difference of timestamps)
            return type(node)(this=diff.left.copy(), expression=exp.Add(this=diff.right.copy(),
                                                                         expression=node.right.copy()))
    return node


def _bigquery_list_orders(tree: exp.Expr) -> None:
    """BigQuery orders no arrays: a query ordered by a list of texts it selects (the paths'
    ``evs``) is ordered by the texts joined with the character 1, which sorts as DuckDB
    sorts the lists (item by item, a shorter list before its extensions) for texts without
    that character."""
    import sqlglot  # heavy: see to_dialect
    from sqlglot import exp

    for select in list(tree.find_all(exp.Select)):
        order = select.args.get("order")
        lists = {a.alias for a in select.expressions if isinstance(a, exp.Alias)
                 and (isinstance(a.this, exp.Array | exp.ArrayAgg) or a.this.find(exp.ArraySlice) is not None)}
        for ordered in order.expressions if order is not None and lists else []:
            if isinstance(ordered.this, exp.Column) and not ordered.this.table and ordered.this.name in lists:
                ordered.this.replace(sqlglot.parse_one(f"ARRAY_TO_STRING({ordered.this.sql('bigquery')}, '\\x01')",
                                                       read="bigquery"))


def _bigquery_windows(tree: exp.Expr) -> None:
    """Window orders as BigQuery reads them: no ``NULLS LAST`` / ``NULLS FIRST`` against its
    default (NULLs first ascending, last descending) but an ``x IS NULL`` key before ``x``;
    a ``RANGE`` frame of ``INTERVAL n MICROSECOND`` ordered by one time (BigQuery: one
    numeric key) ordered by its ``UNIX_MICROS`` with ``n`` (where NULL times sort does not
    matter to such a frame: a NULL time's rows frame only each other)."""
    from sqlglot import exp  # heavy: see to_dialect

    for window in list(tree.find_all(exp.Window)):
        order, spec = window.args.get("order"), window.args.get("spec")
        if order is None:
            continue
        if spec is not None and str(spec.args.get("kind") or "").upper() == "RANGE":
            keys = [o for o in order.expressions if not isinstance(o.this, exp.Is)]
            bounds = [spec.args.get(b) for b in ("start", "end")]
            if not any(isinstance(b, exp.Interval) for b in bounds):
                continue
            if len(keys) != 1 or not all(isinstance(b, exp.Interval | str) for b in bounds):
                raise JourneykitError("a RANGE window over an interval with other than one time key "
                                      "is not supported for bigquery")
            for name, bound in zip(("start", "end"), bounds, strict=True):
                if isinstance(bound, exp.Interval):
                    unit = bound.args.get("unit")
                    if str(unit.this if unit is not None else "").upper() != "MICROSECOND" \
                            or not str(bound.this.this).isdigit():
                        raise JourneykitError(f"a RANGE window bound {bound.sql('duckdb')} is not supported "
                                              "for bigquery (only INTERVAL n MICROSECOND)")
                    spec.set(name, exp.Literal.number(int(str(bound.this.this))))
            key = keys[0]
            order.set("expressions", [exp.Ordered(this=exp.UnixMicros(this=key.this.copy()),
                                                  desc=key.args.get("desc"), nulls_first=not key.args.get("desc"))])
            continue
        items: list[exp.Expr] = []
        for o in order.expressions:
            desc = bool(o.args.get("desc"))
            if isinstance(o, exp.Ordered) and o.args.get("nulls_first") is (True if desc else False):
                items += [exp.Ordered(this=exp.Is(this=o.this.copy(), expression=exp.Null()), desc=desc,
                                      nulls_first=not desc),
                          exp.Ordered(this=o.this.copy(), desc=desc, nulls_first=not desc)]
            else:
                items.append(o)
        order.set("expressions", items)


def _bigquery_array_joins(tree: exp.Expr) -> None:
    """BigQuery compares no arrays: a join on ``a.x = b.x`` where the query makes ``x`` a
    list (a list literal or ``list``/``array_agg``) compares their JSON texts instead (equal
    exactly when the lists are: same items, same order, same field names and types)."""
    from sqlglot import exp  # heavy: see to_dialect

    lists = {a.alias for a in tree.find_all(exp.Alias) if isinstance(a.this, exp.Array | exp.ArrayAgg)}
    for join in list(tree.find_all(exp.Join)):
        on = join.args.get("on")
        for eq in list(on.find_all(exp.EQ)) if on is not None else []:
            if all(isinstance(side, exp.Column) and side.name in lists for side in (eq.left, eq.right)):
                eq.replace(exp.EQ(this=exp.Anonymous(this="TO_JSON_STRING", expressions=[eq.left.copy()]),
                                  expression=exp.Anonymous(this="TO_JSON_STRING", expressions=[eq.right.copy()])))


def _bigquery_median(value: exp.Expr) -> exp.Expr:
    """DuckDB's aggregate ``median(value)`` of numbers (NULLs skipped; the mean of the two
    middle values of an even count; NULL of none) in BigQuery, which has no MEDIAN: the
    sorted values' middle offsets."""
    import sqlglot  # heavy: see to_dialect
    from sqlglot import exp

    items = "ARRAY_AGG(jk_x IGNORE NULLS ORDER BY jk_x)"
    text = f"({items}[SAFE_OFFSET(DIV((COUNT(jk_x) - 1), 2))] + {items}[SAFE_OFFSET(DIV(COUNT(jk_x), 2))]) / 2"
    tree = sqlglot.parse_one(text, read="bigquery")
    for column in list(tree.find_all(exp.Column)):
        if column.name == "jk_x":
            column.replace(value.copy())
    return tree


def _bigquery_quantile(value: exp.Expr, fraction: exp.Expr) -> exp.Expr:
    """DuckDB's aggregate ``quantile_cont(value, q)`` (NULLs skipped; position q x (n - 1)
    in the sorted values, linear interpolation between the two nearest; NULL of none) in
    BigQuery, whose PERCENTILE_CONT is a window function only: offsets into the sorted values."""
    import sqlglot  # heavy: see to_dialect
    from sqlglot import exp

    items = "ARRAY_AGG(jk_x IGNORE NULLS ORDER BY jk_x)"
    position = "(CAST(jk_q AS FLOAT64) * (COUNT(jk_x) - 1))"  # q as DuckDB takes it, a double
    low = f"{items}[SAFE_OFFSET(CAST(FLOOR({position}) AS INT64))]"
    high = f"{items}[SAFE_OFFSET(CAST(CEIL({position}) AS INT64))]"
    weight = f"({position} - FLOOR({position}))"
    text = f"{low} * (1 - {weight}) + {high} * {weight}"  # DuckDB's own rounding: lo(1 - d) + hi d
    tree = sqlglot.parse_one(text, read="bigquery")
    for column in list(tree.find_all(exp.Column)):
        if column.name == "jk_x":
            column.replace(value.copy())
        elif column.name == "jk_q":
            column.replace(fraction.copy())
    return tree


def _bigquery_pick(pick: exp.Expr) -> exp.Expr:
    """DuckDB's ``arg_min(v, k)`` / ``arg_max(v, k)`` (optionally ``FILTER (WHERE c)``) in
    BigQuery, whose MIN_BY/MAX_BY cannot order a STRUCT key ``k`` and which has no FILTER:
    the first of the kept rows' values sorted by the key's fields (DuckDB compares a struct
    field by field, a NULL field above any value; rows with a NULL value or key are skipped)."""
    import sqlglot  # heavy: see to_dialect
    from sqlglot import exp

    def fields(key: exp.Expr) -> list[exp.Expr]:
        if not isinstance(key, exp.Struct):
            return [key]
        return [f for e in key.expressions
                for f in fields(e.expression if isinstance(e, exp.PropertyEQ) else e.unalias())]

    keys = [k.sql("bigquery") for k in fields(pick.expression)]
    descending = " DESC" if isinstance(pick, exp.ArgMax) else ""
    order = ", ".join(f"{k} IS NULL{descending}, {k}{descending}" for k in keys)
    # DuckDB's arg_min/arg_max skip a row whose value or key is NULL
    keep = [f"{pick.this.sql('bigquery')} IS NOT NULL"]
    keep += [] if isinstance(pick.expression, exp.Struct) else [f"{keys[0]} IS NOT NULL"]
    if isinstance(pick.parent, exp.Filter):
        where = pick.parent.expression
        keep.insert(0, f"({(where.this if isinstance(where, exp.Where) else where).sql('bigquery')})")
    value = f"IF({' AND '.join(keep)}, STRUCT({pick.this.sql('bigquery')} AS jk_v), NULL)"
    return sqlglot.parse_one(f"ARRAY_AGG({value} IGNORE NULLS ORDER BY {order} LIMIT 1)[SAFE_OFFSET(0)].jk_v",
                             read="bigquery")


def _bigquery_slice(items: exp.Expr, start: exp.Expr, end: exp.Expr) -> exp.Expr:
    """DuckDB's ``list_slice(items, start, end)`` (1-based, both ends in, ``end`` 0 empty,
    negative from the end) as BigQuery's ``ARRAY_SLICE`` (offsets from 0, both ends in)."""
    import sqlglot  # heavy: see to_dialect
    from sqlglot import exp

    if not (isinstance(start, exp.Literal) and start.is_int):
        raise JourneykitError(f"list_slice with a start that is not a number ({start.sql('duckdb')}) "
                              "is not supported for bigquery")
    first = max(int(start.this), 1) - 1  # DuckDB reads a start of 0 as 1
    base = items.sql("bigquery")
    if isinstance(end, exp.Literal) and end.is_int:
        last = int(end.this)
        if last == 0:
            return sqlglot.parse_one(f"ARRAY_SLICE({base}, 1, 0)", read="bigquery")  # empty
        return sqlglot.parse_one(f"ARRAY_SLICE({base}, {first}, {last - 1 if last > 0 else last})",
                                 read="bigquery")
    upto = end.sql("bigquery")
    return sqlglot.parse_one(f"IF({upto} = 0, [], ARRAY_SLICE({base}, {first}, IF({upto} > 0, {upto} - 1, {upto})))",
                             read="bigquery")


def _tables_of(node: exp.Expr) -> set[str]:
    from sqlglot import exp  # heavy: see to_dialect

    return {c.table for c in node.find_all(exp.Column)}


def _rewrite_asof(select: exp.Select, dialect: str) -> None:
    """Replace the ASOF joins of ``select`` (see the module docstring) in place."""
    import sqlglot  # heavy: see to_dialect
    from sqlglot import exp

    joins = select.args["joins"]
    for i, join in enumerate(list(joins)):
        if (join.args.get("method") or "").upper() != "ASOF":
            continue
        right = join.this
        ralias = right.alias_or_name
        what = f"ASOF join with {ralias} (for {dialect})"
        if not ralias or not isinstance(right, exp.Table | exp.Subquery):
            raise JourneykitError(f"{what}: the right side needs a name or an alias")
        on = join.args.get("on")
        if on is None:
            raise JourneykitError(f"{what}: needs an ON condition")
        keys: list[tuple[exp.Expr, exp.Expr, bool]] = []  # (left, right, null-safe)
        inequality: tuple[exp.Expr, str, exp.Expr] | None = None  # (right, op, left)
        flipped = {"GT": "LT", "GTE": "LTE", "LT": "GT", "LTE": "GTE"}
        for cond in on.flatten() if isinstance(on, exp.And) else [on]:
            cond = cond.unnest()
            if not isinstance(cond, exp.EQ | exp.NullSafeEQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
                raise JourneykitError(f"{what}: condition {cond.sql('duckdb')} is not supported")
            a, b = cond.left, cond.right
            ta, tb = _tables_of(a), _tables_of(b)
            if tb == {ralias} and ralias not in ta:
                a, b, swapped = b, a, True  # a: the right table's side
            elif ta == {ralias} and ralias not in tb:
                swapped = False
            else:
                raise JourneykitError(f"{what}: condition {cond.sql('duckdb')} must compare the two sides")
            if isinstance(cond, exp.EQ | exp.NullSafeEQ):
                keys.append((b, a, isinstance(cond, exp.NullSafeEQ)))
            elif inequality is not None:
                raise JourneykitError(f"{what}: more than one inequality")
            else:
                op = type(cond).__name__
                inequality = (a, flipped[op] if swapped else op, b)
        if inequality is None:
            raise JourneykitError(f"{what}: needs one inequality (>=, >, <= or <) on the times")
        rts, op, lt = inequality
        # the right table's columns the query reads, carried through the window
        payload: list[str] = []
        for column in select.find_all(exp.Column):
            if column.table == ralias and not _inside(column, on):
                if isinstance(column.this, exp.Star):
                    raise JourneykitError(f"{what}: {ralias}.* is not supported; name the columns")
                if column.name not in payload:
                    payload.append(column.name)
        if any(isinstance(s, exp.Star) for s in select.expressions):
            raise JourneykitError(f"{what}: SELECT * is not supported; name the columns")

        def duck(node: exp.Expr) -> str:
            return node.sql("duckdb")

        names = [f"jk_k{k}" for k in range(len(keys))]
        left_from = exp.select(*[exp.alias_(lk.copy(), n) for (lk, _, _), n in zip(keys, names, strict=True)],
                               exp.alias_(lt.copy(), "jk_t")).distinct()
        left_from.set("from_", select.args["from_"].copy())
        if i:
            left_from.set("joins", [j.copy() for j in joins[:i]])
        not_null = [f"{duck(rk)} IS NOT NULL" for _, rk, safe in keys if not safe] + [f"{duck(rts)} IS NOT NULL"]
        right_sql = (
            f"SELECT {''.join(f'{duck(rk)} AS {n}, ' for (_, rk, _), n in zip(keys, names, strict=True))}"
            f"{duck(rts)} AS jk_t{''.join(f', {ralias}.{_q(p)} AS {_q(p)}' for p in payload)} "
            f"FROM {duck(right)} WHERE {' AND '.join(not_null)}"
        )
        inclusive = op in ("GTE", "LTE")
        order = "ASC" if op in ("GT", "GTE") else "DESC"
        klist = "".join(f"{n}, " for n in names)
        nulls = "".join(f", NULL AS {_q(p)}" for p in payload)
        union = (
            f"SELECT {klist}jk_t, 0 AS jk_side, {1 - int(inclusive)} AS jk_o{nulls} FROM ({duck(left_from)}) jk_l "
            f"UNION ALL SELECT {klist}jk_t, 1 AS jk_side, {int(inclusive)} AS jk_o"
            f"{''.join(f', {_q(p)}' for p in payload)} FROM ({right_sql}) jk_r"
        )
        rts_name = rts.name if isinstance(rts, exp.Column) else None
        single = payload == [rts_name] or not payload
        value = "jk_t" if single else f"struct_pack({', '.join(f'{_q(p)} := {_q(p)}' for p in payload)})"
        partition = f"PARTITION BY {', '.join(names)} " if names else ""
        window = (
            f"SELECT {klist}jk_t, jk_side, first_value(CASE WHEN jk_side = 1 THEN {value} END IGNORE NULLS) "
            f"OVER ({partition}ORDER BY jk_t {order}, jk_o ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) "
            f"AS jk_p FROM ({union}) jk_u"
        )
        fields = [f"jk_p AS {_q(p)}" for p in payload] if single else [f"jk_p.{_q(p)} AS {_q(p)}" for p in payload]
        matched = (f"SELECT {klist}jk_t{''.join(', ' + f for f in fields)} FROM ({window}) jk_w "
                   "WHERE jk_side = 0 AND jk_p IS NOT NULL")
        conditions = [f"{duck(lk)} {'IS NOT DISTINCT FROM' if safe else '='} {ralias}.{n}"
                      for (lk, _, safe), n in zip(keys, names, strict=True)]
        conditions.append(f"{duck(lt)} = {ralias}.jk_t")
        side = "LEFT " if (join.args.get("side") or "").upper() == "LEFT" else ""
        wrapped = sqlglot.parse_one(f"SELECT 1 FROM x {side}JOIN ({matched}) {ralias} ON {' AND '.join(conditions)}",
                                    read="duckdb")
        joins[i] = wrapped.args["joins"][0]
    select.set("joins", joins)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _inside(node: exp.Expr, ancestor: exp.Expr) -> bool:
    parent = node.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False
