/* Structs and unions passed and returned by value: small (in registers),
 * large (by reference/memory), homogeneous float aggregates (in FP
 * registers on AArch64), nested, packed, arrays inside structs. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

struct small { int32_t a; int32_t b; };
struct mid { int64_t a; int32_t b; int16_t c; int8_t d; };
struct big { int64_t v[9]; char tag[13]; };
struct hfa2 { double x, y; };
struct hfa4f { float a, b, c, d; };
struct mixed { float f; int i; double d; };
struct __attribute__((packed)) packed { uint8_t a; uint32_t b; uint16_t c; uint64_t d; };
union pun { uint64_t u; double d; uint8_t b[8]; };
struct nested { struct small s; struct hfa2 h; uint8_t flags[3]; };

__attribute__((noinline)) static struct small mk_small(int a, int b) { struct small s = { a, b }; return s; }
__attribute__((noinline)) static struct small swap_small(struct small s) { struct small r = { s.b, s.a }; return r; }
__attribute__((noinline)) static struct mid mk_mid(int64_t a) { struct mid m = { a, (int32_t)(a >> 3), (int16_t)(a * 3), (int8_t)(a - 1) }; return m; }
__attribute__((noinline)) static struct big mk_big(int seed)
{
    struct big b;
    for (int i = 0; i < 9; i++) b.v[i] = (int64_t)seed * (i + 1) * 1000003;
    snprintf(b.tag, sizeof b.tag, "big-%d", seed);
    return b;
}
__attribute__((noinline)) static int64_t sum_big(struct big b) { int64_t s = 0; for (int i = 0; i < 9; i++) s += b.v[i]; b.v[0] = 0; return s + (int64_t)strlen(b.tag); }
__attribute__((noinline)) static struct hfa2 add_hfa2(struct hfa2 a, struct hfa2 b) { struct hfa2 r = { a.x + b.x, a.y * b.y }; return r; }
__attribute__((noinline)) static struct hfa4f scale4(struct hfa4f v, float k) { struct hfa4f r = { v.a * k, v.b * k, v.c * k, v.d * k }; return r; }
__attribute__((noinline)) static struct mixed mk_mixed(float f, int i, double d) { struct mixed m = { f * 2, i + 1, d / 4 }; return m; }
__attribute__((noinline)) static struct nested mk_nested(struct small s, struct hfa2 h)
{
    struct nested n; n.s = s; n.h = h; n.flags[0] = 1; n.flags[1] = 2; n.flags[2] = (uint8_t)(s.a + s.b);
    return n;
}
/* many struct arguments: some spill to the stack */
__attribute__((noinline)) static double many(struct small a, struct hfa2 b, struct mid c, struct hfa4f d,
                                             struct small e, struct hfa2 f, struct mixed g, struct small h)
{
    return a.a + a.b + b.x + b.y + (double)c.a + c.b + c.c + c.d + d.a + d.b + d.c + d.d +
           e.a * e.b + f.x - f.y + g.f + g.i + g.d + h.a - h.b;
}

int main(void)
{
    struct small s = swap_small(mk_small(3, -9));
    printf("small: %d %d\n", s.a, s.b);
    struct mid m = mk_mid(0x123456789LL);
    printf("mid: %lld %d %d %d\n", (long long)m.a, m.b, m.c, m.d);
    struct big b = mk_big(7);
    printf("big: %s %lld %lld\n", b.tag, (long long)b.v[8], (long long)sum_big(b));
    printf("big after call: %lld\n", (long long)b.v[0]);
    struct hfa2 h = add_hfa2((struct hfa2){ 1.5, 2.0 }, (struct hfa2){ 0.25, -3.0 });
    printf("hfa2: %g %g\n", h.x, h.y);
    struct hfa4f q = scale4((struct hfa4f){ 1, 2, 3, 4.5f }, 0.5f);
    printf("hfa4f: %g %g %g %g\n", q.a, q.b, q.c, q.d);
    struct mixed mx = mk_mixed(1.25f, 41, 10.0);
    printf("mixed: %g %d %g\n", mx.f, mx.i, mx.d);
    struct nested n = mk_nested(mk_small(5, 6), h);
    printf("nested: %d %d %g %g %u %u %u\n", n.s.a, n.s.b, n.h.x, n.h.y, n.flags[0], n.flags[1], n.flags[2]);
    printf("many: %g\n", many(s, h, m, q, mk_small(2, 3), (struct hfa2){ 9, 4 }, mx, mk_small(100, 1)));

    struct packed p;
    memset(&p, 0, sizeof p);
    p.a = 0xaa; p.b = 0x11223344; p.c = 0x5566; p.d = 0x778899aabbccddeeULL;
    unsigned char raw[sizeof p];
    memcpy(raw, &p, sizeof p);
    printf("packed size=%zu bytes:", sizeof p);
    for (size_t i = 0; i < sizeof p; i++) printf(" %02x", raw[i]);
    printf("\n");
    p.b += 1; p.d ^= 0xff;
    printf("packed fields: %x %x %llx\n", p.b, p.c, (unsigned long long)p.d);

    union pun u;
    u.d = -2.5;
    printf("pun: %016llx %u %u\n", (unsigned long long)u.u, u.b[0], u.b[7]);
    u.u = 0x3ff8000000000000ULL;
    printf("pun: %g\n", u.d);

    /* struct assignment / copying arrays of structs */
    struct mid arr[5], arr2[5];
    for (int i = 0; i < 5; i++) arr[i] = mk_mid(i * 1000 - 2000);
    memcpy(arr2, arr, sizeof arr);
    struct mid t = arr2[1]; arr2[1] = arr2[3]; arr2[3] = t;
    for (int i = 0; i < 5; i++) printf("arr2[%d]: %lld %d %d %d\n", i, (long long)arr2[i].a, arr2[i].b, arr2[i].c, arr2[i].d);
    return 0;
}
