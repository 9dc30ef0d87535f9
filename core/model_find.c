/* model_find.c: a model option's value to a model file: a path, or a name in folders of
 * models (srres_model_find). The tools and the FFmpeg filter take model names by these rules,
 * so they live here once. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

static const char suffix[] = ".safetensors";

/* A model file's name without its folder and suffix, and that stem's length. */
static const char *stem(const char *path, int *len)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    *len = (int)(strlen(base) - (sizeof(suffix) - 1));
    return base;
}

/* By stem, so that x2 sorts before x2-fast (by file name, '.' sorts after '-'). */
static int by_stem(const void *a, const void *b)
{
    int la, lb;
    const char *sa = stem(*(char *const *)a, &la), *sb = stem(*(char *const *)b, &lb);
    int c = strncmp(sa, sb, (size_t)(la < lb ? la : lb));
    return c ? c : la - lb;
}

/* "x2, x2-fast, x4, x4-fast", the models in dir, in buf ("none" if it holds none); a list
 * too long for n bytes ends with the names that fit and ", ...". */
static void model_names(char *buf, size_t n, const char *dir)
{
    char pattern[4096 + sizeof(suffix) + 2];
    glob_t g;
    size_t used = 0, more = sizeof(", ...");
    snprintf(pattern, sizeof(pattern), "%s/*%s", dir, suffix);
    snprintf(buf, n, "none");
    if (glob(pattern, 0, NULL, &g) != 0)
        return;
    qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), by_stem);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        int len;
        const char *name = stem(g.gl_pathv[i], &len);
        size_t need = (i ? 2 : 0) + (size_t)len + (i + 1 < g.gl_pathc ? more : 1);
        if (used + need > n) {
            snprintf(buf + used, n - used, "%s...", i ? ", " : "");
            break;
        }
        used += (size_t)snprintf(buf + used, n - used, "%s%.*s", i ? ", " : "", len, name);
    }
    globfree(&g);
}

srres_status srres_model_find(const char *value, const char *const *dirs, int ndirs, char *path,
                              size_t size, srres_error *err)
{
    struct stat st;
    if (!value || !*value || !path || !size || ndirs < 0 || (ndirs && !dirs))
        return srres_fail(err, SRRES_ERR_INVALID, "no model named");
    /* A folder is no model: one named x2 (of outputs, say) does not hide the model x2. */
    if ((stat(value, &st) == 0 && !S_ISDIR(st.st_mode)) || strpbrk(value, "/.")) {
        if ((size_t)snprintf(path, size, "%s", value) >= size)
            return srres_fail(err, SRRES_ERR_INVALID, "%s: path too long", value);
        return SRRES_OK;
    }
    int too_long = -1;
    for (int i = 0; i < ndirs; i++) {
        if ((size_t)snprintf(path, size, "%s/%s%s", dirs[i], value, suffix) >= size) {
            if (too_long < 0)
                too_long = i;
        } else if (access(path, R_OK) == 0) {
            return SRRES_OK;
        }
    }
    *path = 0;
    /* A name that did not fit is the caller's buffer, not a missing model: said where no
     * other folder had it. */
    if (too_long >= 0)
        return srres_fail(err, SRRES_ERR_INVALID, "%s/%s%s: path too long", dirs[too_long],
                          value, suffix);
    if (!ndirs)
        return srres_fail_errno(err, ENOENT, "%s: no such file, and no folder of models to look in",
                                value);
    /* The list gets what the message has room for beside the rest, so that "in DIR)" stays. */
    static const char form[] = "%s: no such file, nor a model of that name (%s in %s)";
    char names[sizeof(err->message)];
    size_t rest = strlen(form) - 6 + strlen(value) + strlen(dirs[0]) + 1;
    size_t room = rest + 8 < sizeof(names) ? sizeof(names) - rest : 8;
    model_names(names, room, dirs[0]);
    return srres_fail_errno(err, ENOENT, form, value, names, dirs[0]);
}
