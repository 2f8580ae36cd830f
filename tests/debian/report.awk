BEGIN { FS = "," }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
    d = $col["dept"]; s = $col["salary"] + 0
    total[d] += s; n[d]++; sq[d] += s * s
    if (s > best[d]) { best[d] = s; who[d] = $col["name"] }
    ages[$col["age"] % 10]++
    names = names substr($col["name"], 1, 1)
}
END {
    PROCINFO["sorted_in"] = "@ind_str_asc"
    for (d in total) {
        m = total[d] / n[d]
        printf "%-6s n=%3d mean=%10.3f sd=%10.4f max=%d(%s)\n", d, n[d], m, sqrt(sq[d] / n[d] - m * m), best[d], who[d]
    }
    for (a in ages) printf "%s:%d ", a, ages[a]
    print ""
    print length(names), toupper(substr(names, 1, 20)), gensub(/([a-z])([a-z])/, "\\2\\1", "g", substr(names, 1, 12))
    print sin(1), cos(1), atan2(1, 2), exp(2), log(10), 2 ** 40, int(-3.9), sprintf("%c%c", 72, 105)
    x = "2024-03-15"; split(x, p, "-"); print strftime("%Y %j", mktime(p[1] " " p[2] " " p[3] " 12 00 00"), 1)
    n2 = asort(total, sorted); for (i = 1; i <= n2; i++) printf "%.2f ", sorted[i]; print ""
    print and(0xff, 0x0f), or(1, 6), xor(5, 3), lshift(1, 40), rshift(1024, 3), (compl(0) > 0)
}
