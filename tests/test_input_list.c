/* test_input_list.c: command-line inputs expanded (tools/input_list.c): a folder gives its
 * video and image files in name order (the patch stream and a resumed run's inputs hash
 * depend on it, so it must not follow the directory's own order), hidden files and
 * subfolders left out, other files counted; a file is taken as given; and the short names
 * that tell apart files of the same name in different folders. */
#include <sys/stat.h>
#include <unistd.h>

#include "input_list.h"
#include "test_util.h"

static const char *base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void test_folder_gives_its_media_in_name_order(void **state)
{
    char dir[256], sub[300];
    snprintf(dir, sizeof(dir), "%s/media", test_tmpdir());
    assert_int_equal(mkdir(dir, 0755), 0);
    /* enough names that the directory's own order is not sorted by chance */
    for (int i = 19; i >= 0; i--) {
        char name[32];
        snprintf(name, sizeof(name), "f%02d.png", (i * 7) % 20);
        test_touch(dir, name);
    }
    const char *others[] = {"c.png", "a.mp4", "B.JPG", "notes.txt", ".hidden.png"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        test_touch(dir, others[i]);
    snprintf(sub, sizeof(sub), "%s/sub.d", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    input_list list = {0};
    char err[256];
    if (input_list_add(&list, dir, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(list.count, 23);
    assert_int_equal(list.skipped, 1);
    assert_string_equal(base(list.paths[0]), "B.JPG");
    assert_string_equal(base(list.paths[1]), "a.mp4");
    assert_string_equal(base(list.paths[2]), "c.png");
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof(name), "f%02d.png", i);
        assert_string_equal(base(list.paths[3 + i]), name);
    }
    /* a file is taken as given, whatever its name */
    char notes[300];
    snprintf(notes, sizeof(notes), "%s/notes.txt", dir);
    assert_int_equal(input_list_add(&list, notes, err, sizeof(err)), 0);
    assert_int_equal(list.count, 24);
    assert_string_equal(list.paths[23], notes);
    input_list_free(&list);
}

static void test_missing_path_and_folder_without_media_are_named(void **state)
{
    char dir[256], missing[300];
    snprintf(dir, sizeof(dir), "%s/empty", test_tmpdir());
    assert_int_equal(mkdir(dir, 0755), 0);
    test_touch(dir, "readme.txt");
    input_list list = {0};
    char err[512];
    assert_int_equal(input_list_add(&list, dir, err, sizeof(err)), -1);
    assert_non_null(strstr(err, dir));
    assert_non_null(strstr(err, "no video or image files"));
    snprintf(missing, sizeof(missing), "%s/nothere.mp4", test_tmpdir());
    assert_int_equal(input_list_add(&list, missing, err, sizeof(err)), -1);
    assert_non_null(strstr(err, missing));
    assert_int_equal(list.count, 0);
    input_list_free(&list);
}

/* The tools read files: an address is refused as one (it was "No such file or directory"),
 * and a file named like one is a file. */
static void test_urls_are_refused_as_such(void **state)
{
    input_list list = {0};
    char err[512], named[300];
    assert_int_equal(input_list_add(&list, "https://example.com/a.png", err, sizeof(err)), -1);
    assert_string_equal(err, "https://example.com/a.png: a URL: videos and images are read "
                             "from files (download it first)");
    snprintf(named, sizeof(named), "%s/file:a.png", test_tmpdir());
    test_touch(test_tmpdir(), "file:a.png");
    assert_int_equal(input_list_add(&list, named, err, sizeof(err)), 0);
    assert_int_equal(list.count, 1);
    input_list_free(&list);
}

/* Subfolders are left out whatever their names: one named like a picture was once taken as
 * one (and the run refused "Is a directory"), a link to one counted as a skipped file. They
 * are counted (as the tools say), a link to one too: a run on part of a dataset was silent. */
static void test_subfolders_are_left_out_whatever_their_names(void **state)
{
    char dir[256], sub[300], link[300];
    snprintf(dir, sizeof(dir), "%s/nested", test_tmpdir());
    assert_int_equal(mkdir(dir, 0755), 0);
    test_touch(dir, "a.png");
    snprintf(sub, sizeof(sub), "%s/2024.png", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(link, sizeof(link), "%s/up", dir);
    assert_int_equal(symlink("..", link), 0);
    input_list list = {0};
    char err[512];
    if (input_list_add(&list, dir, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(list.count, 1);
    assert_string_equal(base(list.paths[0]), "a.png");
    assert_int_equal(list.skipped, 0);
    assert_int_equal(list.subfolders, 2);
    input_list_free(&list);
}

/* A FIFO is no file to read pictures from more than once: given, it is refused naming it
 * (srres-train and srres-eval waited forever); in a folder under a picture's name it is
 * counted and skipped, the folder's pictures read (it stopped the run). */
static void test_fifo_given_is_refused_and_in_a_folder_skipped(void **state)
{
    char dir[256], fifo[300];
    snprintf(dir, sizeof(dir), "%s/piped", test_tmpdir());
    assert_int_equal(mkdir(dir, 0755), 0);
    test_touch(dir, "a.png");
    snprintf(fifo, sizeof(fifo), "%s/b.png", dir);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    input_list list = {0};
    char err[512], expected[400];
    snprintf(expected, sizeof(expected), "%s: a FIFO, not a file", fifo);
    assert_int_equal(input_list_add(&list, fifo, err, sizeof(err)), -1);
    if (!strstr(err, expected))
        fail_msg("given: %s", err);
    if (input_list_add(&list, dir, err, sizeof(err)) < 0)
        fail_msg("in a folder: %s", err);
    assert_int_equal(list.count, 1);
    assert_string_equal(base(list.paths[0]), "a.png");
    assert_int_equal(list.not_files, 1);
    assert_int_equal(list.skipped, 0);
    input_list_free(&list);
}

/* A link to nothing in a folder (a picture moved from where a dataset's links point) is
 * counted and skipped, as a FIFO is, rather than ending the run when it is opened. */
static void test_links_to_nothing_in_a_folder_are_skipped(void **state)
{
    char dir[256], link[300];
    snprintf(dir, sizeof(dir), "%s/linked", test_tmpdir());
    assert_int_equal(mkdir(dir, 0755), 0);
    test_touch(dir, "a.png");
    snprintf(link, sizeof(link), "%s/b.png", dir);
    assert_int_equal(symlink("moved-away.png", link), 0);
    input_list list = {0};
    char err[512];
    if (input_list_add(&list, dir, err, sizeof(err)) < 0)
        fail_msg("in a folder: %s", err);
    assert_int_equal(list.count, 1);
    assert_string_equal(base(list.paths[0]), "a.png");
    assert_int_equal(list.dangling, 1);
    assert_int_equal(list.not_files + list.skipped, 0);
    input_list_free(&list);
}

/* Many wallpapers are called 2560x1600.jpg: each is named by as much of its path as tells
 * it apart; a name no other input shares stays bare, and one path given twice is one file. */
static void test_names_tell_apart_files_of_one_name(void **state)
{
    input_list list = {0};
    char *paths[] = {"/w/Kite/images/2560x1600.jpg", "/w/Path/images/2560x1600.jpg",
                     "/w/clip.mp4", "/w/clip.mp4"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        list.paths = realloc(list.paths, sizeof(char *) * (i + 1));
        list.paths[list.count++] = strdup(paths[i]);
    }
    assert_string_equal(input_list_name(&list, 0), "Kite/images/2560x1600.jpg");
    assert_string_equal(input_list_name(&list, 1), "Path/images/2560x1600.jpg");
    assert_string_equal(input_list_name(&list, 2), "clip.mp4");
    assert_string_equal(input_list_name(&list, 3), "clip.mp4");
    input_list_free(&list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folder_gives_its_media_in_name_order),
        cmocka_unit_test(test_missing_path_and_folder_without_media_are_named),
        cmocka_unit_test(test_urls_are_refused_as_such),
        cmocka_unit_test(test_subfolders_are_left_out_whatever_their_names),
        cmocka_unit_test(test_fifo_given_is_refused_and_in_a_folder_skipped),
        cmocka_unit_test(test_links_to_nothing_in_a_folder_are_skipped),
        cmocka_unit_test(test_names_tell_apart_files_of_one_name),
    };
    return cmocka_run_group_tests(tests, make_test_tmpdir, remove_test_tmpdir);
}
