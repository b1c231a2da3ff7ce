#ifndef CSEARCHINDEX_H
#define CSEARCHINDEX_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: The vector graph (HNSW), as it lies in a segment file or in the builder's memory.
//
// The level-0 block is hnswlib's own layout (one fixed-size element per node: a link list
// [count u16, flags u8, pad u8, maxM0 × u32], the float32 vector, the u64 label), so the builder
// can hand its memory to the file and take it back without conversion. Upper-level link lists are
// stored one after another, node i's at upper[upper_offsets[i] ..< upper_offsets[i + 1]].

typedef struct {
    const char *level0;
    uint64_t elements;          // nodes, deleted ones included
    uint64_t size_per_element;  // bytes per level-0 element
    uint64_t offset_data;       // offset of the vector within an element
    uint64_t label_offset;      // offset of the label (u64) within an element
    uint64_t size_links;        // bytes of one upper-level link list
    uint64_t max_m, max_m0, m, ef_construction;
    double mult;
    int32_t max_level;
    uint32_t entry_point;
    uint64_t num_deleted;
    const uint64_t *upper_offsets;  // elements + 1 entries
    const char *upper;
    uint32_t dim;
} engram_graph_view;

/// The builder: hnswlib's HierarchicalNSW with inner-product distance (vectors are unit length).
typedef struct engram_graph engram_graph;

/// A new, empty graph for up to `capacity` nodes.
engram_graph *engram_graph_new(uint32_t dim, uint32_t m, uint32_t ef_construction, uint64_t capacity);
/// A graph loaded from a view (a segment file), with room for `capacity` nodes in all.
engram_graph *engram_graph_load(const engram_graph_view *view, uint64_t capacity);
/// Adds `n` vectors (row-major) with their labels, on `threads` threads. Returns 0, or -1 with `error` set.
int engram_graph_add(engram_graph *g, const float *vectors, const int64_t *labels, uint64_t n, int threads,
                     char *error, size_t error_size);
/// Marks the node holding `label` deleted: it is still walked through, never returned. Returns 0, or -1 if absent.
int engram_graph_mark_deleted(engram_graph *g, int64_t label);
/// A view of the builder's memory (valid until the next change). `upper_offsets` is allocated: free it with `free`.
engram_graph_view engram_graph_view_of(engram_graph *g);
/// The upper-level link bytes of node `i`, and their length.
const char *engram_graph_upper(const engram_graph *g, uint64_t i, uint64_t *length);
void engram_graph_free(engram_graph *g);

// MARK: Search over a view

/// Whether node `i` is marked deleted.
int engram_graph_is_deleted(const engram_graph_view *g, uint32_t i);
/// The label of node `i`.
int64_t engram_graph_label(const engram_graph_view *g, uint32_t i);
/// The vector of node `i`.
const float *engram_graph_vector(const engram_graph_view *g, uint32_t i);

/// HNSW search: the `k` nodes (deleted ones excluded) with the largest dot product with `query`, found
/// with a beam of `ef`, best first. Returns how many were written to `nodes` and `scores`.
size_t engram_graph_search(const engram_graph_view *g, const float *query, size_t k, size_t ef,
                           uint32_t *nodes, float *scores);

/// Dot product of two float vectors (AVX-512 when the CPU has it).
float engram_dot(const float *a, const float *b, size_t n);

/// Dot products of `query` with the vectors of `count` nodes, `scores[j]` for `nodes[j]`.
void engram_graph_scores(const engram_graph_view *g, const float *query, const uint32_t *nodes, size_t count, float *scores);
/// The same for `nq` queries at once (`queries`: nq × dim, row-major), each vector read once:
/// `scores[q * count + j]` for query q and `nodes[j]`.
void engram_graph_scores_many(const engram_graph_view *g, const float *queries, size_t nq, const uint32_t *nodes, size_t count,
                              float *scores);

// MARK: Top-k BM25 (MaxScore over block-skipping postings)

/// Postings of one term: ascending rows, their term frequencies, and per block of `ENGRAM_BLOCK` postings
/// the last row, the largest tf and the smallest chunk length (an upper bound of the block's scores).
#define ENGRAM_BLOCK 128
typedef struct {
    uint32_t last_row;
    uint32_t max_tf;
    uint32_t min_length;
    uint32_t reserved;
} engram_block;

typedef struct {
    const uint32_t *rows;
    const uint16_t *tfs;
    const engram_block *blocks;
    uint32_t count;
    double weight;  // idf × the query's count of the term
} engram_term_postings;

/// The `k` rows with the highest BM25 over `terms` (chunk lengths `lengths[row]`, mean `average`),
/// best first, ties by row. Rows flagged in `excluded` (a bitset, or NULL) are skipped.
/// Returns how many were written to `rows` and `scores`.
size_t engram_bm25_top(const engram_term_postings *terms, size_t term_count, const uint32_t *lengths, double average,
                       double k1, double b, const uint64_t *excluded, size_t k, uint32_t *rows, double *scores);

#ifdef __cplusplus
}
#endif
#endif
