/*
 * layergc storage-driver plugin ABI.
 *
 * A driver plugin is a shared object that *maps* one Docker storage driver's directory (the
 * "driver home", <data-root>/<driver name>) to layer entries: which IDs are on disk, which paths
 * each owns and how each path is removed, and each entry's ancestry as the driver records it.
 * A driver never removes, renames or writes anything: layergc's core does every removal, after
 * confining every path the driver reported to the driver home.
 *
 * Boundary rules
 *  - Plain C types only. Strings are NUL-terminated UTF-8 (in practice ASCII) and are owned by
 *    the side that passes them; they are valid only for the duration of the call. The host
 *    copies whatever it keeps.
 *  - No exception and no longjmp crosses this boundary. Errors come back as lgc_status codes,
 *    with a message through lgc_sink.problem or the create() error buffer.
 *  - Every struct starts with (or carries) its size so that it can grow at the end in a minor
 *    version without breaking older peers.
 *
 * Versioning: the host loads a plugin when its ABI major equals the host's and its minor is not
 * newer than the host's (a newer minor may rely on fields this host does not fill in).
 *
 * Export: the plugin exports a `const void *` named LGC_DRIVER_ALIAS in the section
 * LGC_DRIVER_SECTION that points at its lgc_driver_descriptor (the C++ SDK's LAYERGC_DRIVER macro
 * does this with BOOST_DLL_ALIAS_SECTIONED). The descriptor's name must equal the plugin's file
 * name without the ".so" suffix.
 */
#ifndef LAYERGC_DRIVER_ABI_H
#define LAYERGC_DRIVER_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LGC_ABI_MAJOR 1
#define LGC_ABI_MINOR 1 /* 1.1: LGC_PATH_LAYER_ROOT */

/* The exported alias and the section it lives in (at most 8 characters, an ELF section name). */
#define LGC_DRIVER_ALIAS layergc_driver
#define LGC_DRIVER_ALIAS_NAME "layergc_driver"
#define LGC_DRIVER_SECTION lgcdrv
#define LGC_DRIVER_SECTION_NAME "lgcdrv"

/* How core removes one path a driver reported. */
typedef enum lgc_removal {
    LGC_REMOVE_TREE = 1,     /* a directory and everything below it (same filesystem only) */
    LGC_REMOVE_FILE = 2,     /* one regular file */
    LGC_REMOVE_SYMLINK = 3,  /* one symbolic link, never followed */
    LGC_REMOVE_SUBVOLUME = 4 /* a btrfs subvolume: nested subvolumes first, then the ioctl */
} lgc_removal;

typedef enum lgc_status {
    LGC_OK = 0,
    LGC_ERR_IO = 1,          /* the driver could not read something it needs */
    LGC_ERR_FORMAT = 2,      /* the on-disk layout is not one this driver understands */
    LGC_ERR_UNSUPPORTED = 3, /* the driver does not collect this tree (zfs, devicemapper, ...) */
    LGC_ERR_INTERNAL = 4     /* a bug in the driver (an exception caught at the boundary) */
} lgc_status;

/* What probe() found in the driver home. */
typedef enum lgc_probe_result {
    LGC_TREE_EMPTY = 1,   /* the home exists but holds no layers */
    LGC_TREE_PRESENT = 2, /* a tree this driver can map */
    LGC_TREE_REFUSED = 3  /* a tree this driver recognises but will not map (a problem says why) */
} lgc_probe_result;

typedef enum lgc_severity {
    LGC_SEV_INFO = 0,
    LGC_SEV_WARNING = 1, /* damage or oddity; what it touches is kept */
    LGC_SEV_BLOCKING = 2 /* hostile or unreadable input: apply refuses to run */
} lgc_severity;

typedef enum lgc_log_level { LGC_LOG_DEBUG = 0, LGC_LOG_INFO = 1, LGC_LOG_WARN = 2 } lgc_log_level;

/* Flags or'ed into lgc_owned_path.removal above its lgc_removal value (the low 8 bits).
 *
 * LGC_PATH_LAYER_ROOT (ABI 1.1), on an LGC_REMOVE_TREE or LGC_REMOVE_SUBVOLUME path: the
 * directory is a layer's root filesystem or the point where one is mounted (aufs diff/<id> and
 * mnt/<id>, vfs dir/<id>, btrfs subvolumes/<id>), so everything in it is the layer's content and
 * none of it is the driver's own metadata. Core's second witness, which reads the files directly
 * inside each reported tree to find layer IDs the driver's own files name (overlay2 <id>/lower),
 * passes such a directory over instead of reading image content. Never set it on a directory that
 * holds files the driver itself writes: what the witness does not read, it cannot hold back. */
#define LGC_REMOVAL_KIND_MASK 0xffu
#define LGC_PATH_LAYER_ROOT 0x100u

/* One path owned by an entry. relpath is relative to the driver home, '/'-separated, with no
 * empty, "." or ".." component and no leading '/'. Core refuses anything else as hostile. */
typedef struct lgc_owned_path {
    const char* relpath;
    uint32_t removal; /* lgc_removal, with LGC_PATH_* flags above LGC_REMOVAL_KIND_MASK */
} lgc_owned_path;

/* Set in lgc_entry.flags when `parents` lists every ancestor (overlay2 `lower`, aufs `layers/`),
 * not only the direct parent. */
#define LGC_ENTRY_PARENTS_COMPLETE 0x1u

/* One layer on disk. */
typedef struct lgc_entry {
    uint32_t struct_size;        /* sizeof(lgc_entry) as the plugin was built */
    uint32_t flags;              /* LGC_ENTRY_* */
    const char* id;              /* the driver ID: the name core matches against cache-id,
                                    mount-id and init-id */
    const lgc_owned_path* paths; /* everything this entry owns, in removal order */
    size_t n_paths;
    const char* const* parents; /* driver-level ancestry, nearest first; may be empty */
    size_t n_parents;
    int64_t mtime_sec; /* modification time of the entry's main directory */
} lgc_entry;

/* Something in the driver home that belongs to no layer and that the driver knows to be a
 * leftover of its own (a dangling l/ link, an aufs *-removing directory). */
typedef struct lgc_leftover {
    uint32_t struct_size;
    const char* name; /* short name for reports, unique within the home */
    const lgc_owned_path* paths;
    size_t n_paths;
    const char* reason;   /* a stable code, e.g. "dangling-link", "removing-dir" */
    const char* detail;   /* human explanation (evidence) */
    const char* owner_id; /* the layer ID it belonged to, or NULL; core keeps the
                             leftover when that layer is live */
} lgc_leftover;

/* Callbacks the host gives the driver. Any pointer except ctx may be NULL when a call does not
 * use it (mount_refs gets no entry callback, for instance). */
typedef struct lgc_sink {
    uint32_t struct_size;
    void* ctx;
    void (*entry)(void* ctx, const lgc_entry* entry);
    void (*leftover)(void* ctx, const lgc_leftover* leftover);
    /* severity: lgc_severity. code: a stable kebab-case code. subject: what it is about
     * (an ID or a relpath). message: what is wrong and what to do about it. */
    void (*problem)(void* ctx, uint32_t severity, const char* code, const char* subject, const char* message);
    void (*layer_ref)(void* ctx, const char* id); /* mount_refs: a layer a mount uses */
    void (*log)(void* ctx, uint32_t level, const char* message);
} lgc_sink;

typedef struct lgc_driver_vtable {
    uint32_t struct_size;
    /* Is the tree in the driver home one this driver maps? Returns an lgc_probe_result, or
     * the negated lgc_status on error. home_fd is an O_DIRECTORY|O_NOFOLLOW descriptor owned by
     * the host. */
    int32_t (*probe)(void* self, int home_fd, const lgc_sink* sink);
    /* Report every entry and leftover in the home. Returns an lgc_status. */
    int32_t (*scan)(void* self, int home_fd, const lgc_sink* sink);
    /* Given one mount (from any process's mountinfo), report through sink->layer_ref every layer
     * ID of this home the mount uses (overlay lowerdir=/upperdir=, aufs br:...). home_path is the
     * canonical absolute path of the driver home. Returns an lgc_status. */
    int32_t (*mount_refs)(void* self, const char* home_path, const char* mount_point, const char* fstype,
                          const char* options, const lgc_sink* sink);
    void (*destroy)(void* self);
} lgc_driver_vtable;

typedef struct lgc_host_info {
    uint32_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;
    const char* host_version;
} lgc_host_info;

/* Constant data the host validates before it calls any plugin function. */
typedef struct lgc_driver_descriptor {
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t struct_size; /* sizeof(lgc_driver_descriptor) as the plugin was built */
    uint32_t reserved0;
    const char* name;    /* the driver name: Docker's, and the plugin's file name */
    const char* version; /* the plugin's own version */
    const char* summary; /* one line for `layergc drivers` */
    /* Make a driver instance. On failure return non-zero and write a message into err. */
    int32_t (*create)(const lgc_host_info* host, void** self, const lgc_driver_vtable** vtable, char* err,
                      size_t err_len);
    void* reserved[8]; /* zero; room for growth */
} lgc_driver_descriptor;

#ifdef __cplusplus
}
#endif

#endif /* LAYERGC_DRIVER_ABI_H */
