[.[] | select(.price > 10) | {id, name, total: (.price * .qty), tags: (.tags | sort | join("+"))}]
| (sort_by(-.total, .id) | .[:5]) as $top
| {
    count: length,
    sum: (map(.total) | add),
    top: $top,
    bytag: (map(.tags) | group_by(.) | map({key: .[0], value: length}) | from_entries),
    strings: ([.[].name] | map(ascii_upcase | ltrimstr("ITEM")) | .[:6] | join(",")),
    math: [(1 / 3), (2 | pow(.; 10)), (17 % 5), ([3, 1, 2] | sort | reverse), ("a,b,c" | split(",")), (now | type)],
    paths: ({"a": {"b": [1, {"c": 2}]}} | [paths | map(tostring) | join(".")]),
    reduce: (reduce range(0; 100) as $i (0; . + $i * $i)),
    regex: ("foo-123-bar-45" | [match("[0-9]+"; "g").string]),
    dates: (1234567890 | todate),
    keys: ($top[0] | keys_unsorted)
  }
