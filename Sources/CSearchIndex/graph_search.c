// HNSW search (Malkov & Yashunin 2018, algorithms 2 and 5) over a memory-mapped graph: greedy descent
// through the upper levels, then a beam of `ef` on level 0. Only the nodes visited are touched, so a
// search reads a few thousand vectors of the file whatever its size.
#include "CSearchIndex.h"

#include <stdlib.h>
#include <string.h>

#define AVX512 __attribute__((target("avx512f")))

static float dot_portable(const float *a, const float *b, size_t n) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

#if defined(__x86_64__)
#include <immintrin.h>
AVX512 static float dot_avx512(const float *a, const float *b, size_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}
#endif

typedef float (*dot_fn)(const float *, const float *, size_t);
static dot_fn dot_impl(void) {
    static dot_fn chosen = NULL;
    if (!chosen) {
#if defined(__x86_64__)
        chosen = __builtin_cpu_supports("avx512f") ? dot_avx512 : dot_portable;
#else
        chosen = dot_portable;
#endif
    }
    return chosen;
}

float engram_dot(const float *a, const float *b, size_t n) { return dot_impl()(a, b, n); }

static inline const char *element(const engram_graph_view *g, uint32_t i) {
    return g->level0 + (uint64_t)i * g->size_per_element;
}

int engram_graph_is_deleted(const engram_graph_view *g, uint32_t i) {
    return (((const unsigned char *)element(g, i))[2] & 0x01) != 0;
}

int64_t engram_graph_label(const engram_graph_view *g, uint32_t i) {
    uint64_t label;
    memcpy(&label, element(g, i) + g->label_offset, sizeof label);
    return (int64_t)label;
}

const float *engram_graph_vector(const engram_graph_view *g, uint32_t i) {
    return (const float *)(element(g, i) + g->offset_data);
}

void engram_graph_scores(const engram_graph_view *g, const float *query, const uint32_t *nodes, size_t count, float *scores) {
    engram_graph_scores_many(g, query, 1, nodes, count, scores);
}

void engram_graph_scores_many(const engram_graph_view *g, const float *queries, size_t nq, const uint32_t *nodes, size_t count,
                              float *scores) {
    dot_fn dot = dot_impl();
    // Node-major: each vector is read from the mapping once, while it is in cache, for every query.
    for (size_t j = 0; j < count; j++) {
        const float *v = engram_graph_vector(g, nodes[j]);
        for (size_t q = 0; q < nq; q++) scores[q * count + j] = dot(queries + q * g->dim, v, g->dim);
    }
}

/// A node's links at a level: their count and ids.
static inline const uint32_t *links(const engram_graph_view *g, uint32_t i, int level, uint32_t *count) {
    const char *list = level == 0 ? element(g, i) : g->upper + g->upper_offsets[i] + (uint64_t)(level - 1) * g->size_links;
    uint16_t n;
    memcpy(&n, list, sizeof n);
    *count = n;
    return (const uint32_t *)(list + 4);
}

// Binary heaps of (score, node): `best` keeps the ef highest scores with the lowest on top, `frontier`
// the nodes to expand with the highest on top.
typedef struct { float score; uint32_t node; } entry;
typedef struct { entry *e; size_t n, cap; } heap;

static inline int above(entry a, entry b, int max) { return max ? a.score > b.score : a.score < b.score; }

static void heap_push(heap *h, entry x, int max) {
    if (h->n == h->cap) {
        size_t cap = h->cap * 2 + 16;
        entry *e = realloc(h->e, sizeof(entry) * cap);
        if (!e) abort();
        h->e = e;
        h->cap = cap;
    }
    size_t i = h->n++;
    h->e[i] = x;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!above(h->e[i], h->e[p], max)) break;
        entry t = h->e[i]; h->e[i] = h->e[p]; h->e[p] = t;
        i = p;
    }
}

static entry heap_pop(heap *h, int max) {
    entry top = h->e[0];
    h->e[0] = h->e[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && above(h->e[l], h->e[m], max)) m = l;
        if (r < h->n && above(h->e[r], h->e[m], max)) m = r;
        if (m == i) break;
        entry t = h->e[i]; h->e[i] = h->e[m]; h->e[m] = t;
        i = m;
    }
    return top;
}

static int by_score_desc(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->node < y->node ? -1 : (x->node > y->node);
}

size_t engram_graph_search(const engram_graph_view *g, const float *query, size_t k, size_t ef,
                           uint32_t *nodes, float *scores) {
    if (g->elements == 0 || k == 0) return 0;
    if (ef < k) ef = k;
    dot_fn dot = dot_impl();
    const size_t dim = g->dim;

    // 1. Greedy descent through the upper levels.
    uint32_t current = g->entry_point;
    float current_score = dot(query, engram_graph_vector(g, current), dim);
    for (int level = g->max_level; level > 0; level--) {
        int changed = 1;
        while (changed) {
            changed = 0;
            uint32_t count;
            const uint32_t *next = links(g, current, level, &count);
            for (uint32_t j = 0; j < count; j++) {
                float s = dot(query, engram_graph_vector(g, next[j]), dim);
                if (s > current_score) { current_score = s; current = next[j]; changed = 1; }
            }
        }
    }

    // 2. Beam search on level 0. Deleted nodes are walked through but never kept.
    uint8_t *visited = calloc((g->elements + 7) / 8, 1);
    size_t cap = ef + g->max_m0 + 2;
    heap best = { malloc(sizeof(entry) * cap), 0, cap };
    heap frontier = { malloc(sizeof(entry) * cap * 4), 0, cap * 4 };
    if (!visited || !best.e || !frontier.e) { free(visited); free(best.e); free(frontier.e); return 0; }
    visited[current / 8] |= (uint8_t)(1u << (current % 8));
    entry start = { current_score, current };
    heap_push(&frontier, start, 1);
    if (!engram_graph_is_deleted(g, current)) heap_push(&best, start, 0);
    float floor = best.n ? current_score : -3.0f;
    while (frontier.n > 0) {
        entry c = heap_pop(&frontier, 1);
        if (c.score < floor && best.n >= ef) break;
        uint32_t count;
        const uint32_t *next = links(g, c.node, 0, &count);
        for (uint32_t j = 0; j < count; j++) {
            uint32_t v = next[j];
            if (visited[v / 8] & (1u << (v % 8))) continue;
            visited[v / 8] |= (uint8_t)(1u << (v % 8));
            float s = dot(query, engram_graph_vector(g, v), dim);
            if (best.n < ef || s > floor) {
                entry x = { s, v };
                heap_push(&frontier, x, 1);
                if (!engram_graph_is_deleted(g, v)) {
                    heap_push(&best, x, 0);
                    if (best.n > ef) heap_pop(&best, 0);
                }
                if (best.n > 0) floor = best.e[0].score;
            }
        }
    }
    free(visited);
    free(frontier.e);

    qsort(best.e, best.n, sizeof(entry), by_score_desc);
    size_t out = best.n < k ? best.n : k;
    for (size_t j = 0; j < out; j++) { nodes[j] = best.e[j].node; scores[j] = best.e[j].score; }
    free(best.e);
    return out;
}
