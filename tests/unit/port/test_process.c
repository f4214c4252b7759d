/* port/posix/process.c: children of the running executable, their output lines, bounded
 * waits, stopping (SIGTERM, then SIGKILL), and the directory helpers. The children are this
 * test program itself, started with "child MODE" as arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hota/error.h"
#include "hota/port.h"
#include "hota/process.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ the child side */

static int child_main(const char *mode)
{
    if (!strcmp(mode, "lines")) {
        printf("hello\nworld\nno newline at the end");
        return 7;
    }
    if (!strcmp(mode, "long")) {
        for (int i = 0; i < 1000; i++)
            putchar('a' + i % 26);
        printf("\nafter\n");
        return 0;
    }
    if (!strcmp(mode, "stdin")) /* stdin must be /dev/null: an immediate end of file */
        return getchar() == EOF ? 3 : 4;
    if (!strcmp(mode, "ignore-term"))
        signal(SIGTERM, SIG_IGN);
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < 600; i++) /* at most a minute, whatever happens to the test */
        sleep(1);
    return 0;
}

/* ------------------------------------------------------------------ helpers */

static void spawn(hota_proc_t *p, const char *mode)
{
    const char *argv[] = {"test_process", "child", mode, NULL};
    hota_proc_init(p);
    assert_int_equal(hota_proc_spawn_self(p, argv), HOTA_OK);
    assert_true(p->pid > 0);
    assert_true(p->running);
}

static void expect_line(hota_proc_t *p, const char *want)
{
    char line[64];
    assert_int_equal(hota_proc_read_line(p, line, sizeof line, 5000), HOTA_OK);
    assert_string_equal(line, want);
}

static int alive(int pid)
{
    return kill(pid, 0) == 0 || errno != ESRCH;
}

/* ------------------------------------------------------------------ tests */

static void test_lines_and_exit_code(void **state)
{
    hota_proc_t p;
    char line[64];
    (void)state;
    spawn(&p, "lines");
    expect_line(&p, "hello");
    expect_line(&p, "world");
    expect_line(&p, "no newline at the end");
    assert_int_equal(hota_proc_read_line(&p, line, sizeof line, 5000), HOTA_E_CLOSED);
    assert_int_equal(hota_proc_wait(&p, 5000), HOTA_OK);
    assert_false(p.running);
    assert_int_equal(p.exit_code, 7);
    assert_int_equal(hota_proc_wait(&p, 0), HOTA_OK); /* reaped: at once */
    assert_false(alive(p.pid));
    hota_proc_free(&p);
    hota_proc_free(&p);
}

static void test_long_line_is_cut(void **state)
{
    hota_proc_t p;
    char line[40];
    (void)state;
    spawn(&p, "long");
    assert_int_equal(hota_proc_read_line(&p, line, sizeof line, 5000), HOTA_OK);
    assert_int_equal(strlen(line), sizeof line - 1);
    assert_int_equal(line[0], 'a');
    assert_int_equal(line[26], 'a');
    for (int i = 0; i < 100; i++) { /* the rest of the long line comes in further pieces */
        assert_int_equal(hota_proc_read_line(&p, line, sizeof line, 5000), HOTA_OK);
        if (!strcmp(line, "after"))
            break;
    }
    assert_string_equal(line, "after");
    assert_int_equal(hota_proc_wait(&p, 5000), HOTA_OK);
    assert_int_equal(p.exit_code, 0);
    hota_proc_free(&p);
}

static void test_stdin_is_null(void **state)
{
    hota_proc_t p;
    (void)state;
    spawn(&p, "stdin");
    assert_int_equal(hota_proc_wait(&p, 5000), HOTA_OK);
    assert_int_equal(p.exit_code, 3);
    hota_proc_free(&p);
}

static void test_timeouts_and_stop(void **state)
{
    hota_proc_t p;
    char line[64];
    uint64_t t0;
    (void)state;
    spawn(&p, "sleep");
    expect_line(&p, "ready");
    t0 = hota_now_ms();
    assert_int_equal(hota_proc_read_line(&p, line, sizeof line, 150), HOTA_E_TIMEOUT);
    assert_int_equal(hota_proc_wait(&p, 150), HOTA_E_TIMEOUT);
    assert_true(hota_now_ms() - t0 >= 290);
    assert_true(p.running);
    assert_int_equal(hota_proc_stop(&p, 2000), HOTA_OK);
    assert_false(p.running);
    assert_int_equal(p.exit_code, 128 + SIGTERM);
    assert_false(alive(p.pid));
    hota_proc_free(&p);
}

static void test_stop_escalates_to_kill(void **state)
{
    hota_proc_t p;
    uint64_t t0;
    (void)state;
    spawn(&p, "ignore-term");
    expect_line(&p, "ready");
    t0 = hota_now_ms();
    assert_int_equal(hota_proc_stop(&p, 200), HOTA_OK);
    assert_true(hota_now_ms() - t0 >= 200);
    assert_int_equal(p.exit_code, 128 + SIGKILL);
    assert_false(alive(p.pid));
    hota_proc_free(&p);
}

static void test_free_stops_a_running_child(void **state)
{
    hota_proc_t p;
    int pid;
    (void)state;
    spawn(&p, "sleep");
    expect_line(&p, "ready");
    pid = p.pid;
    hota_proc_free(&p);
    assert_false(p.running);
    assert_int_equal(p.out_fd, -1);
    assert_false(alive(pid));
}

static void test_bad_arguments(void **state)
{
    hota_proc_t p;
    const char *empty[] = {NULL};
    const char *again[] = {"test_process", "child", "sleep", NULL};
    const char *many[HOTA_PROC_MAX_ARGS + 2];
    char line[8];
    (void)state;
    for (size_t i = 0; i < HOTA_PROC_MAX_ARGS + 1; i++)
        many[i] = "x";
    many[HOTA_PROC_MAX_ARGS + 1] = NULL;
    hota_proc_init(&p);
    assert_int_equal(hota_proc_spawn_self(&p, NULL), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_proc_spawn_self(&p, empty), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_proc_spawn_self(&p, many), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_proc_wait(&p, 0), HOTA_E_BAD_STATE);
    assert_int_equal(hota_proc_stop(&p, 0), HOTA_E_BAD_STATE);
    assert_int_equal(hota_proc_read_line(&p, line, sizeof line, 0), HOTA_E_BAD_STATE);
    assert_int_equal(hota_proc_read_line(&p, line, 0, 0), HOTA_E_INVALID_ARG);
    spawn(&p, "sleep");
    assert_int_equal(hota_proc_spawn_self(&p, many), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_proc_spawn_self(&p, again), HOTA_E_BAD_STATE);
    hota_proc_free(&p);
    hota_proc_free(NULL);
}

static void test_directories(void **state)
{
    char dir[256], sub[300], file[300];
    int created = -1;
    FILE *f;
    (void)state;
    assert_int_equal(hota_dir_make_temp(dir, sizeof dir, "hota-test-process"), HOTA_OK);
    assert_non_null(strstr(dir, "/hota-test-process-"));
    assert_int_equal(access(dir, F_OK), 0);
    assert_int_equal(hota_dir_remove(dir), HOTA_OK);
    assert_int_equal(access(dir, F_OK), -1);
    assert_int_equal(hota_dir_make_temp(dir, 10, "hota-test-process"), HOTA_E_BUFFER_TOO_SMALL);
    assert_int_equal(hota_dir_make_temp(sub, sizeof sub, "a/b"), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_dir_make_temp(sub, sizeof sub, ""), HOTA_E_INVALID_ARG);
    assert_int_equal(hota_dir_make_temp(dir, sizeof dir, "hota-test-process"), HOTA_OK);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(hota_dir_make(sub, &created), HOTA_OK);
    assert_int_equal(created, 1);
    assert_int_equal(hota_dir_make(sub, &created), HOTA_OK);
    assert_int_equal(created, 0);
    snprintf(file, sizeof file, "%s/sub/f", dir);
    assert_non_null(f = fopen(file, "w"));
    fclose(f);
    assert_int_equal(hota_dir_make(file, &created), HOTA_E_IO);
    snprintf(file, sizeof file, "%s/missing/deeper", dir);
    assert_int_equal(hota_dir_make(file, NULL), HOTA_E_NOT_FOUND);
    assert_int_equal(hota_dir_remove(dir), HOTA_E_BAD_STATE);
    assert_int_equal(hota_dir_remove(sub), HOTA_E_BAD_STATE);
    snprintf(file, sizeof file, "%s/sub/f", dir);
    assert_int_equal(remove(file), 0);
    assert_int_equal(hota_dir_remove(sub), HOTA_OK);
    assert_int_equal(hota_dir_remove(sub), HOTA_OK); /* absent: fine */
    assert_int_equal(hota_dir_remove(dir), HOTA_OK);
    assert_int_equal(access(dir, F_OK), -1);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_and_exit_code),
        cmocka_unit_test(test_long_line_is_cut),
        cmocka_unit_test(test_stdin_is_null),
        cmocka_unit_test(test_timeouts_and_stop),
        cmocka_unit_test(test_stop_escalates_to_kill),
        cmocka_unit_test(test_free_stops_a_running_child),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_directories),
    };
    if (argc == 3 && !strcmp(argv[1], "child"))
        return child_main(argv[2]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
