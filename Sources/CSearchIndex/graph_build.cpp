// Building and updating the vector graph with hnswlib (Debian's libhnswlib-dev, header-only): its
// multi-threaded insertion and neighbour heuristic are well tested, so Engram uses them to build.
// Search does not: hnswlib reads a whole index file into memory, which a cold process at a million
// chunks cannot afford, so the graph is searched in place from the memory-mapped segment file
// (graph_search.c). The two share hnswlib's level-0 layout.
#include "CSearchIndex.h"

#include <hnswlib/hnswlib.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

struct engram_graph {
    hnswlib::InnerProductSpace space;
    hnswlib::HierarchicalNSW<float> *index;
    uint32_t dim;
    explicit engram_graph(uint32_t d) : space(d), index(nullptr), dim(d) {}
    ~engram_graph() { delete index; }
};

extern "C" engram_graph *engram_graph_new(uint32_t dim, uint32_t m, uint32_t ef_construction, uint64_t capacity) {
    auto *g = new engram_graph(dim);
    // A fixed seed: the same chunks give the same graph.
    g->index = new hnswlib::HierarchicalNSW<float>(&g->space, capacity > 0 ? capacity : 1, m, ef_construction, 100);
    return g;
}

extern "C" engram_graph *engram_graph_load(const engram_graph_view *v, uint64_t capacity) {
    auto *g = new engram_graph(v->dim);
    uint64_t cap = capacity > v->elements ? capacity : v->elements;
    auto *h = new hnswlib::HierarchicalNSW<float>(&g->space, cap > 0 ? cap : 1, v->m, v->ef_construction, 100);
    g->index = h;
    if (h->size_data_per_element_ != v->size_per_element || h->size_links_per_element_ != v->size_links
        || h->offsetData_ != v->offset_data || h->label_offset_ != v->label_offset) {
        delete g;
        return nullptr;
    }
    std::memcpy(h->data_level0_memory_, v->level0, v->elements * v->size_per_element);
    h->cur_element_count = v->elements;
    h->maxlevel_ = v->max_level;
    h->enterpoint_node_ = v->entry_point;
    h->num_deleted_ = v->num_deleted;
    h->mult_ = v->mult;
    h->revSize_ = 1.0 / v->mult;
    h->maxM_ = v->max_m;
    h->maxM0_ = v->max_m0;
    for (uint64_t i = 0; i < v->elements; i++) {
        uint64_t length = v->upper_offsets[i + 1] - v->upper_offsets[i];
        h->element_levels_[i] = (int)(length / v->size_links);
        if (length == 0) {
            h->linkLists_[i] = nullptr;
        } else {
            h->linkLists_[i] = (char *)malloc(length);
            std::memcpy(h->linkLists_[i], v->upper + v->upper_offsets[i], length);
        }
        h->label_lookup_[h->getExternalLabel((hnswlib::tableint)i)] = (hnswlib::tableint)i;
    }
    return g;
}

extern "C" int engram_graph_add(engram_graph *g, const float *vectors, const int64_t *labels, uint64_t n, int threads,
                                char *error, size_t error_size) {
    auto *h = g->index;
    try {
        if (h->cur_element_count + n > h->max_elements_) h->resizeIndex(h->cur_element_count + n);
    } catch (const std::exception &e) {
        snprintf(error, error_size, "%s", e.what());
        return -1;
    }
    std::atomic<uint64_t> next(0);
    std::atomic<bool> failed(false);
    std::string message;
    std::mutex message_lock;
    auto work = [&]() {
        for (;;) {
            uint64_t i = next.fetch_add(1);
            if (i >= n || failed.load()) return;
            try {
                h->addPoint(vectors + i * g->dim, (hnswlib::labeltype)labels[i]);
            } catch (const std::exception &e) {
                std::lock_guard<std::mutex> guard(message_lock);
                message = e.what();
                failed.store(true);
                return;
            }
        }
    };
    // The first points go in alone: concurrent inserts into an almost empty graph link poorly.
    uint64_t warm = n < 64 ? n : 64;
    while (next.load() < warm) {
        uint64_t i = next.fetch_add(1);
        try {
            h->addPoint(vectors + i * g->dim, (hnswlib::labeltype)labels[i]);
        } catch (const std::exception &e) {
            snprintf(error, error_size, "%s", e.what());
            return -1;
        }
    }
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; t++) pool.emplace_back(work);
    work();
    for (auto &t : pool) t.join();
    if (failed.load()) {
        snprintf(error, error_size, "%s", message.c_str());
        return -1;
    }
    return 0;
}

extern "C" int engram_graph_mark_deleted(engram_graph *g, int64_t label) {
    try {
        g->index->markDelete((hnswlib::labeltype)label);
        return 0;
    } catch (const std::exception &) {
        return -1;
    }
}

extern "C" engram_graph_view engram_graph_view_of(engram_graph *g) {
    auto *h = g->index;
    engram_graph_view v;
    std::memset(&v, 0, sizeof v);
    v.level0 = h->data_level0_memory_;
    v.elements = h->cur_element_count;
    v.size_per_element = h->size_data_per_element_;
    v.offset_data = h->offsetData_;
    v.label_offset = h->label_offset_;
    v.size_links = h->size_links_per_element_;
    v.max_m = h->maxM_;
    v.max_m0 = h->maxM0_;
    v.m = h->M_;
    v.ef_construction = h->ef_construction_;
    v.mult = h->mult_;
    v.max_level = h->maxlevel_;
    v.entry_point = h->enterpoint_node_;
    v.num_deleted = h->num_deleted_;
    v.dim = g->dim;
    auto *offsets = (uint64_t *)malloc(sizeof(uint64_t) * (v.elements + 1));
    uint64_t at = 0;
    for (uint64_t i = 0; i < v.elements; i++) {
        offsets[i] = at;
        if (h->element_levels_[i] > 0) at += h->size_links_per_element_ * (uint64_t)h->element_levels_[i];
    }
    offsets[v.elements] = at;
    v.upper_offsets = offsets;
    v.upper = nullptr;  // per node: engram_graph_upper
    return v;
}

extern "C" const char *engram_graph_upper(const engram_graph *g, uint64_t i, uint64_t *length) {
    auto *h = g->index;
    int level = h->element_levels_[i];
    *length = level > 0 ? h->size_links_per_element_ * (uint64_t)level : 0;
    return level > 0 ? h->linkLists_[i] : nullptr;
}

extern "C" void engram_graph_free(engram_graph *g) { delete g; }
