/* input_list.c: folder expansion by file extension. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "input_list.h"

static const char *const media_ext[] = {
    "mp4", "mkv", "webm", "mov", "avi", "m4v", "ts",  "m2ts", "mts", "mpg", "mpeg", "flv",
    "ogv", "wmv", "3gp", "mxf", "y4m", "jpg", "jpeg", "png", "bmp", "webp", "gif",  "ppm",
    "pgm", "pnm", "tga", "tif", "tiff", "dpx", "exr"};

static int is_media(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    for (size_t i = 0; i < sizeof(media_ext) / sizeof(media_ext[0]); i++)
        if (!strcasecmp(dot + 1, media_ext[i]))
            return 1;
    return 0;
}

static int push(input_list *list, char *path)
{
    char **grown = realloc(list->paths, sizeof(char *) * (list->count + 1));
    if (!grown) {
        free(path);
        return -1;
    }
    list->paths = grown;
    list->paths[list->count++] = path;
    return 0;
}

/* Whether a folder's entry is a folder itself, or a link to one; some filesystems leave
 * d_type unknown. */
static int is_folder(const char *dir, const struct dirent *e)
{
    if (e->d_type != DT_UNKNOWN && e->d_type != DT_LNK)
        return e->d_type == DT_DIR;
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* NULL for a regular file, else what it is: a FIFO or device would be opened and wait for
 * a writer, or never end, and the tools read their inputs more than once. */
static const char *not_a_file(const struct stat *sb)
{
    return S_ISREG(sb->st_mode)    ? NULL
           : S_ISFIFO(sb->st_mode) ? "a FIFO"
           : S_ISSOCK(sb->st_mode) ? "a socket"
                                   : "a device";
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int input_list_add(input_list *list, const char *arg, char *err, int errlen)
{
    struct stat sb;
    if (!*arg) {
        snprintf(err, errlen, "an input is an empty file name (an unset variable?)");
        return -1;
    }
    if (stat(arg, &sb) < 0) {
        /* "No such file" of an address puzzles: the tools open files only, whatever their
         * names (a file named like one, "file:a.png", is that file). */
        size_t scheme = strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789+-.");
        if (errno == ENOENT && scheme && !strncmp(arg + scheme, "://", 3))
            snprintf(err, errlen, "%s: a URL: videos and images are read from files (download "
                     "it first)", arg);
        else
            snprintf(err, errlen, "%s: %s", arg, strerror(errno));
        return -1;
    }
    const char *kind = S_ISDIR(sb.st_mode) ? NULL : not_a_file(&sb);
    if (kind) {
        snprintf(err, errlen, "%s: %s, not a file: videos and images are read from files", arg,
                 kind);
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        char *p = strdup(arg);
        if (!p || push(list, p) < 0) {
            snprintf(err, errlen, "%s: out of memory", arg);
            return -1;
        }
        return 0;
    }
    DIR *d = opendir(arg);
    if (!d) {
        snprintf(err, errlen, "%s: %s", arg, strerror(errno));
        return -1;
    }
    int first = list->count, found = 0, subfolders = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        /* Subfolders are not descended into, whatever their names (a dataset's layout is
         * its own), but counted: a run on part of a dataset looked like one on all of it. */
        if (e->d_name[0] == '.')
            continue;
        if (is_folder(arg, e)) {
            subfolders++;
            continue;
        }
        if (!is_media(e->d_name)) {
            list->skipped++;
            continue;
        }
        size_t n = strlen(arg) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (p)
            snprintf(p, n, "%s/%s", arg, e->d_name);
        /* A FIFO, socket or device named like a picture (a pipe left by a script) is no
         * picture of the folder: it is counted and skipped, where it stopped the run, as
         * ls -l tells it apart. So is a link to nothing (a picture moved or deleted from
         * where a dataset's links point); one given by name is an error when opened. */
        struct stat fb;
        int *count = NULL;
        if (p && e->d_type != DT_REG) {
            if (stat(p, &fb) == 0)
                count = not_a_file(&fb) ? &list->not_files : NULL;
            else if (errno == ENOENT && lstat(p, &fb) == 0)
                count = &list->dangling;
        }
        if (count) {
            free(p);
            (*count)++;
            continue;
        }
        if (!p || push(list, p) < 0) {
            closedir(d);
            snprintf(err, errlen, "%s: out of memory", arg);
            return -1;
        }
        found++;
    }
    closedir(d);
    list->subfolders += subfolders;
    if (!found) {
        snprintf(err, errlen, "%s: no video or image files in this folder%s", arg,
                 subfolders ? " (its subfolders are not read: give them)" : "");
        return -1;
    }
    qsort(list->paths + first, (size_t)found, sizeof(char *), compare_names);
    return 0;
}

/* Whether `path` is `tail` or ends in '/' and then `tail`. */
static int ends_with_tail(const char *path, const char *tail)
{
    size_t n = strlen(path), t = strlen(tail);
    return n >= t && !strcmp(path + n - t, tail) && (n == t || path[n - t - 1] == '/');
}

const char *input_list_name(const input_list *list, int i)
{
    const char *path = list->paths[i], *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    for (;;) {
        int clash = 0;
        /* The same path given twice is the same file: nothing to tell apart. */
        for (int j = 0; j < list->count && !clash; j++)
            clash = j != i && strcmp(list->paths[j], path) && ends_with_tail(list->paths[j], name);
        if (!clash || name == path)
            return name;
        const char *p = name - 1;
        while (p > path && p[-1] != '/')
            p--;
        name = p;
    }
}

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    int index;
} file_id;

static int compare_ids(const void *a, const void *b)
{
    const file_id *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->index - y->index;
}

int input_list_repeats(input_list *list, int drop)
{
    file_id *ids = malloc(sizeof(file_id) * (list->count + 1));
    char *repeat = calloc(list->count + 1, 1);
    if (!ids || !repeat) {
        free(ids);
        free(repeat);
        return -1;
    }
    int n = 0, repeats = 0;
    for (int i = 0; i < list->count; i++) {
        struct stat sb;
        if (stat(list->paths[i], &sb) == 0)
            ids[n++] = (file_id){sb.st_dev, sb.st_ino, i};
    }
    qsort(ids, (size_t)n, sizeof(file_id), compare_ids);
    for (int k = 1; k < n; k++)
        if (ids[k].dev == ids[k - 1].dev && ids[k].ino == ids[k - 1].ino) {
            repeat[ids[k].index] = 1;
            repeats++;
        }
    if (drop) {
        int kept = 0;
        for (int i = 0; i < list->count; i++) {
            if (repeat[i])
                free(list->paths[i]);
            else
                list->paths[kept++] = list->paths[i];
        }
        list->count = kept;
    }
    free(ids);
    free(repeat);
    return repeats;
}

void input_list_free(input_list *list)
{
    for (int i = 0; i < list->count; i++)
        free(list->paths[i]);
    free(list->paths);
    list->paths = NULL;
    list->count = 0;
}

void input_list_say_skipped(const input_list *list, const char *program)
{
    if (list->skipped)
        fprintf(stderr, "%s: %d file%s in the folders given %s no video or image extension: "
                        "skipped\n", program, list->skipped, list->skipped == 1 ? "" : "s",
                list->skipped == 1 ? "has" : "have");
    if (list->not_files)
        fprintf(stderr, "%s: %d entr%s in the folders given %s a FIFO, socket or device, not a "
                        "file: skipped\n", program, list->not_files,
                list->not_files == 1 ? "y" : "ies", list->not_files == 1 ? "is" : "are");
    if (list->dangling)
        fprintf(stderr, "%s: %d link%s in the folders given point%s to no file: skipped\n",
                program, list->dangling, list->dangling == 1 ? "" : "s",
                list->dangling == 1 ? "s" : "");
    if (list->subfolders)
        fprintf(stderr, "%s: %d subfolder%s in the folders given: not read (folders are read "
                        "one level deep: give subfolders as inputs too)\n",
                program, list->subfolders, list->subfolders == 1 ? "" : "s");
}
