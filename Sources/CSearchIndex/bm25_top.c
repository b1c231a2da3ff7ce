// Top-k BM25 with MaxScore (Turtle & Flood 1995): terms are ordered by their largest possible score;
// once the k-th best score exceeds what the weakest terms could add together, those terms stop
// proposing candidates and are only probed, skipping whole blocks of postings, for rows the others
// propose. Scores equal exhaustive BM25 for every row returned.
#include "CSearchIndex.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const engram_term_postings *t;
    size_t pos;
    double bound;
} cursor;

static inline double bm25(double weight, double tf, double length, double k1, double b, double average) {
    return weight * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average));
}

static int by_bound(const void *a, const void *b) {
    const cursor *x = a, *y = b;
    return x->bound < y->bound ? -1 : (x->bound > y->bound);
}

/// Moves a cursor to its first row ≥ target, skipping blocks whose last row is below it.
static inline void seek(cursor *c, uint32_t target) {
    const engram_term_postings *t = c->t;
    if (c->pos >= t->count || t->rows[c->pos] >= target) return;
    size_t block = c->pos / ENGRAM_BLOCK;
    size_t blocks = (t->count + ENGRAM_BLOCK - 1) / ENGRAM_BLOCK;
    while (block < blocks && t->blocks[block].last_row < target) block++;
    if (block == blocks) { c->pos = t->count; return; }
    size_t lo = block * ENGRAM_BLOCK > c->pos ? block * ENGRAM_BLOCK : c->pos;
    size_t hi = (block + 1) * ENGRAM_BLOCK < t->count ? (block + 1) * ENGRAM_BLOCK : t->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->rows[mid] < target) lo = mid + 1; else hi = mid;
    }
    c->pos = lo;
}

typedef struct { double score; uint32_t row; } hit;

// Min-heap: the worst kept hit on top (lower score, or the same score and a later row).
static inline int worse(hit a, hit b) { return a.score < b.score || (a.score == b.score && a.row > b.row); }

static void sift_down(hit *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(h[l], h[m])) m = l;
        if (r < n && worse(h[r], h[m])) m = r;
        if (m == i) return;
        hit t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

static void sift_up(hit *h, size_t i) {
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!worse(h[i], h[p])) return;
        hit t = h[i]; h[i] = h[p]; h[p] = t;
        i = p;
    }
}

static int by_score(const void *a, const void *b) {
    const hit *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->row < y->row ? -1 : (x->row > y->row);
}

size_t engram_bm25_top(const engram_term_postings *terms, size_t term_count, const uint32_t *lengths, double average,
                       double k1, double b, const uint64_t *excluded, size_t k, uint32_t *rows, double *scores) {
    if (k == 0 || term_count == 0) return 0;
    if (average <= 0) average = 1;
    cursor *c = calloc(term_count, sizeof(cursor));
    double *prefix = calloc(term_count, sizeof(double));
    hit *heap = malloc(sizeof(hit) * k);
    if (!c || !prefix || !heap) { free(c); free(prefix); free(heap); return 0; }
    size_t n = 0;
    for (size_t i = 0; i < term_count; i++) {
        if (terms[i].count == 0 || terms[i].weight <= 0) continue;
        double bound = 0;
        size_t blocks = (terms[i].count + ENGRAM_BLOCK - 1) / ENGRAM_BLOCK;
        for (size_t j = 0; j < blocks; j++) {
            double s = bm25(terms[i].weight, terms[i].blocks[j].max_tf, terms[i].blocks[j].min_length, k1, b, average);
            if (s > bound) bound = s;
        }
        c[n].t = &terms[i];
        c[n].pos = 0;
        c[n].bound = bound;
        n++;
    }
    qsort(c, n, sizeof(cursor), by_bound);
    double sum = 0;
    for (size_t i = 0; i < n; i++) { sum += c[i].bound; prefix[i] = sum; }

    size_t kept = 0, essential = 0;
    double threshold = -1;
    for (;;) {
        uint32_t row = UINT32_MAX;
        for (size_t i = essential; i < n; i++)
            if (c[i].pos < c[i].t->count && c[i].t->rows[c[i].pos] < row) row = c[i].t->rows[c[i].pos];
        if (row == UINT32_MAX) break;
        double length = lengths[row], score = 0;
        for (size_t i = essential; i < n; i++) {
            const engram_term_postings *t = c[i].t;
            if (c[i].pos < t->count && t->rows[c[i].pos] == row) {
                score += bm25(t->weight, t->tfs[c[i].pos], length, k1, b, average);
                c[i].pos++;
            }
        }
        int dropped = 0;
        for (size_t i = essential; i-- > 0;) {
            if (kept == k && score + prefix[i] < threshold) { dropped = 1; break; }
            seek(&c[i], row);
            const engram_term_postings *t = c[i].t;
            if (c[i].pos < t->count && t->rows[c[i].pos] == row)
                score += bm25(t->weight, t->tfs[c[i].pos], length, k1, b, average);
        }
        if (dropped) continue;
        if (excluded && (excluded[row / 64] >> (row % 64) & 1)) continue;
        hit h = { score, row };
        if (kept < k) {
            heap[kept] = h;
            sift_up(heap, kept);
            kept++;
        } else if (worse(heap[0], h)) {
            heap[0] = h;
            sift_down(heap, kept, 0);
        } else {
            continue;
        }
        if (kept == k) {
            threshold = heap[0].score;
            while (essential < n && prefix[essential] < threshold) essential++;
        }
    }
    qsort(heap, kept, sizeof(hit), by_score);
    for (size_t i = 0; i < kept; i++) { rows[i] = heap[i].row; scores[i] = heap[i].score; }
    free(c);
    free(prefix);
    free(heap);
    return kept;
}
