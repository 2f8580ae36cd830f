/* Pointer-heavy data structures: singly/doubly linked lists (reverse,
 * merge sort), an AVL-free binary search tree with deletion, an open
 * addressing hash table with resizing, and a binary heap priority queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static uint32_t seed = 2463534242u;
static uint32_t rnd(void) { seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5; return seed; }

struct node { int v; struct node *next; };

static struct node *push(struct node *h, int v) { struct node *n = malloc(sizeof *n); n->v = v; n->next = h; return n; }
static struct node *reverse(struct node *h) { struct node *p = NULL; while (h) { struct node *n = h->next; h->next = p; p = h; h = n; } return p; }
static struct node *merge(struct node *a, struct node *b)
{
    struct node head, *t = &head;
    while (a && b) { if (a->v <= b->v) { t->next = a; a = a->next; } else { t->next = b; b = b->next; } t = t->next; }
    t->next = a ? a : b;
    return head.next;
}
static struct node *lsort(struct node *h)
{
    if (!h || !h->next) return h;
    struct node *slow = h, *fast = h->next;
    while (fast && fast->next) { slow = slow->next; fast = fast->next->next; }
    struct node *b = slow->next;
    slow->next = NULL;
    return merge(lsort(h), lsort(b));
}

struct tree { int key; int count; struct tree *l, *r; };
static struct tree *insert(struct tree *t, int k)
{
    if (!t) { t = calloc(1, sizeof *t); t->key = k; t->count = 1; return t; }
    if (k < t->key) t->l = insert(t->l, k);
    else if (k > t->key) t->r = insert(t->r, k);
    else t->count++;
    return t;
}
static struct tree *delete(struct tree *t, int k)
{
    if (!t) return NULL;
    if (k < t->key) t->l = delete(t->l, k);
    else if (k > t->key) t->r = delete(t->r, k);
    else {
        if (!t->l || !t->r) { struct tree *c = t->l ? t->l : t->r; free(t); return c; }
        struct tree *m = t->r;
        while (m->l) m = m->l;
        t->key = m->key; t->count = m->count;
        t->r = delete(t->r, m->key);
    }
    return t;
}
static int height(const struct tree *t) { if (!t) return 0; int a = height(t->l), b = height(t->r); return 1 + (a > b ? a : b); }
static long inorder_hash(const struct tree *t, long h) { if (!t) return h; h = inorder_hash(t->l, h); h = h * 31 + t->key * t->count; return inorder_hash(t->r, h); }
static int tsize(const struct tree *t) { return t ? 1 + tsize(t->l) + tsize(t->r) : 0; }
static void tfree(struct tree *t) { if (t) { tfree(t->l); tfree(t->r); free(t); } }

struct entry { char *key; int val; };
struct table { struct entry *e; size_t cap, n; };
static uint64_t fnv(const char *s) { uint64_t h = 14695981039346656037ULL; while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ULL; return h; }
static void tput(struct table *t, const char *k, int v);
static void grow(struct table *t)
{
    struct table n = { calloc(t->cap * 2, sizeof(struct entry)), t->cap * 2, 0 };
    for (size_t i = 0; i < t->cap; i++) if (t->e[i].key) { tput(&n, t->e[i].key, t->e[i].val); free(t->e[i].key); }
    free(t->e);
    *t = n;
}
static void tput(struct table *t, const char *k, int v)
{
    if ((t->n + 1) * 4 > t->cap * 3) grow(t);
    size_t i = fnv(k) & (t->cap - 1);
    while (t->e[i].key && strcmp(t->e[i].key, k) != 0) i = (i + 1) & (t->cap - 1);
    if (!t->e[i].key) { t->e[i].key = strdup(k); t->n++; }
    t->e[i].val = v;
}
static int tget(const struct table *t, const char *k, int *v)
{
    size_t i = fnv(k) & (t->cap - 1);
    while (t->e[i].key) { if (strcmp(t->e[i].key, k) == 0) { *v = t->e[i].val; return 1; } i = (i + 1) & (t->cap - 1); }
    return 0;
}

static int heap[5000], hn;
static void hpush(int v) { int i = hn++; heap[i] = v; while (i && heap[(i - 1) / 2] > heap[i]) { int p = (i - 1) / 2, t = heap[p]; heap[p] = heap[i]; heap[i] = t; i = p; } }
static int hpop(void)
{
    int top = heap[0];
    heap[0] = heap[--hn];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < hn && heap[l] < heap[m]) m = l;
        if (r < hn && heap[r] < heap[m]) m = r;
        if (m == i) break;
        int t = heap[m]; heap[m] = heap[i]; heap[i] = t; i = m;
    }
    return top;
}

int main(void)
{
    struct node *l = NULL;
    for (int i = 0; i < 5000; i++) l = push(l, (int)(rnd() % 100000));
    l = reverse(l);
    printf("list head after reverse=%d\n", l->v);
    l = lsort(l);
    long h = 0; int cnt = 0, sorted = 1, prev = -1;
    for (struct node *n = l; n; n = n->next) { h = h * 31 + n->v; cnt++; if (n->v < prev) sorted = 0; prev = n->v; }
    printf("list sorted=%d count=%d hash=%ld min=%d max=%d\n", sorted, cnt, h, l->v, prev);
    while (l) { struct node *n = l->next; free(l); l = n; }

    struct tree *t = NULL;
    for (int i = 0; i < 3000; i++) t = insert(t, (int)(rnd() % 2000));
    printf("tree size=%d height=%d hash=%ld\n", tsize(t), height(t), inorder_hash(t, 0));
    for (int k = 0; k < 2000; k += 3) t = delete(t, k);
    printf("after delete size=%d height=%d hash=%ld\n", tsize(t), height(t), inorder_hash(t, 0));
    tfree(t);

    struct table tab = { calloc(8, sizeof(struct entry)), 8, 0 };
    char key[32];
    for (int i = 0; i < 3000; i++) { snprintf(key, sizeof key, "key-%d-%x", i % 1777, i * 7); tput(&tab, key, i); }
    int hits = 0, sum = 0, v;
    for (int i = 0; i < 4000; i++) { snprintf(key, sizeof key, "key-%d-%x", i % 1777, i * 7); if (tget(&tab, key, &v)) { hits++; sum += v; } }
    printf("hash table n=%zu cap=%zu hits=%d sum=%d\n", tab.n, tab.cap, hits, sum);
    for (size_t i = 0; i < tab.cap; i++) free(tab.e[i].key);
    free(tab.e);

    for (int i = 0; i < 5000; i++) hpush((int)(rnd() % 1000000));
    long hh = 0; int ok = 1, last = -1;
    while (hn) { int x = hpop(); if (x < last) ok = 0; last = x; hh = hh * 7 + x; }
    printf("heap ordered=%d hash=%ld\n", ok, hh);
    return 0;
}
