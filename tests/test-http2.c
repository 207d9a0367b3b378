/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "dp-download.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/*
 * Downloads from a server that offers HTTP/2 over TLS: a local nginx
 * with "listen … ssl http2". libsoup would negotiate HTTP/2 with it,
 * but every request of Downpour's stays on HTTP/1.1 (dp-http.c), so
 * each worker has a connection of its own and the probe's open body may
 * be read by another thread. nginx's access log tells which connection
 * and protocol carried each request. Skipped when nginx is not
 * installed (build-aux/deps.sh installs it).
 */

#define FILE_SIZE ((guint64) 64 << 20)
#define FILE_SEED 64
#define SEGMENTS 16
/* Per request: each range takes seconds, so the workers' requests
 * overlap for long whatever the machine's speed. */
#define RATE_LIMIT "512k"
/* nginx logs times in milliseconds: requests that follow each other on
 * a connection may seem to overlap by a rounding step or two. */
#define ROUNDING_MS 5
#define START_ATTEMPTS 5

/* Made for this test only (valid until 2126); no client trusts it. */
static const char certificate_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBkDCCATagAwIBAgIUYv9vDsvm0X9qsZ9M2PDLvtivvuswCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwMTAyNTEyM1oYDzIxMjYxMTA3\n"
  "MDI1MTIzWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAATLz0Mc7/6tQy4q9jZ/wtVu/jzcEiMI7+q3XqRpGjWABazAKfFraEdt\n"
  "heFCkhd5LM6hsahoQ3tEVby7xxhkq96Do2QwYjAdBgNVHQ4EFgQUM2tCrrROWaqY\n"
  "rFezp5enKpkwVwUwHwYDVR0jBBgwFoAUM2tCrrROWaqYrFezp5enKpkwVwUwDwYD\n"
  "VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0gAMEUC\n"
  "IQCY4wsijEKeMW8Z29Qxg+Z/mkNwcyWVHahpzXD9CYlgCQIgbTju4DOhamCFrZp3\n"
  "C+PueoH5pmTHuWbUwbXaSczCZSs=\n"
  "-----END CERTIFICATE-----\n";

static const char key_pem[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzCnkM2RLghqJpht2\n"
  "tUb3YfFfleSEAvkSz81lT4EZUOehRANCAATLz0Mc7/6tQy4q9jZ/wtVu/jzcEiMI\n"
  "7+q3XqRpGjWABazAKfFraEdtheFCkhd5LM6hsahoQ3tEVby7xxhkq96D\n"
  "-----END PRIVATE KEY-----\n";

/* Shared by the tests, made once: nginx's prefix with the certificate
 * and the served files in www/. */
static char *nginx_path;
static char *served;
static char *content_sha256;

typedef struct
{
  char *out;         /* where the download goes */
  GMainContext *context;
  GSubprocess *process;
  gboolean exited;
  guint16 port;
} Fixture;

typedef struct
{
  char *connection;
  char *protocol;
  guint status;
  gint64 start_ms;  /* when nginx read the request */
  gint64 end_ms;    /* when it was done with it */
  guint64 sent;     /* body bytes */
  char *range;      /* NULL without a Range header */
  char *method;
  char *path;
} LogLine;

/* nginx with TLS and HTTP/2, or NULL. */
static char *
find_nginx (void)
{
  const char *argv[] = { NULL, "-V", NULL };
  g_autofree char *path = g_find_program_in_path ("nginx");
  g_autofree char *err = NULL;
  int status;

  /* /usr/sbin is not on every user's PATH. */
  if (path == NULL && g_file_test ("/usr/sbin/nginx", G_FILE_TEST_IS_EXECUTABLE))
    path = g_strdup ("/usr/sbin/nginx");
  if (path == NULL)
    return NULL;

  /* "nginx -V" writes its build options to stderr. */
  argv[0] = path;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                     NULL, &err, &status, NULL) ||
      strstr (err, "--with-http_ssl_module") == NULL ||
      strstr (err, "--with-http_v2_module") == NULL)
    return NULL;
  return g_steal_pointer (&path);
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

static void
write_file (const char *dir,
            const char *name,
            const char *contents,
            int         mode)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, mode, &error))
    fail_msg ("%s", error->message);
}

/* The generated content, readable by anyone: nginx started as root
 * serves files from workers that run as nobody. nohead/ holds the same
 * file, where HEAD is refused. */
static int
group_setup (void **state)
{
  g_autofree char *www = NULL;
  g_autofree char *nohead = NULL;
  g_autofree char *path = NULL;
  g_autofree char *copy = NULL;
  g_autofree guint8 *buf = g_malloc (1 << 20);
  FILE *file;

  served = dp_test_mkdtemp ();
  www = g_build_filename (served, "www", NULL);
  nohead = g_build_filename (www, "nohead", NULL);
  path = g_build_filename (www, "big.bin", NULL);
  copy = g_build_filename (nohead, "big.bin", NULL);
  assert_int_equal (g_chmod (served, 0755), 0);
  assert_int_equal (g_mkdir (www, 0755), 0);
  assert_int_equal (g_mkdir (nohead, 0755), 0);

  file = fopen (path, "wb");
  assert_non_null (file);
  for (guint64 offset = 0; offset < FILE_SIZE; offset += 1 << 20)
    {
      dp_test_content_fill (FILE_SEED, offset, buf, 1 << 20);
      assert_int_equal (fwrite (buf, 1, 1 << 20, file), 1 << 20);
    }
  assert_int_equal (fclose (file), 0);
  assert_int_equal (g_chmod (path, 0644), 0);
  assert_int_equal (link (path, copy), 0);
  write_file (www, "control.txt", "h2\n", 0644);

  write_file (served, "cert.pem", certificate_pem, 0600);
  write_file (served, "key.pem", key_pem, 0600);
  content_sha256 = dp_test_content_sha256 (FILE_SEED, FILE_SIZE);
  return 0;
}

static int
group_teardown (void **state)
{
  dp_test_rmdir (served);
  g_clear_pointer (&served, g_free);
  g_clear_pointer (&content_sha256, g_free);
  return 0;
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->out = dp_test_mkdtemp ();
  f->context = g_main_context_new ();
  *state = f;
  return 0;
}

static void
wait_exit (Fixture *f,
           guint    ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (!f->exited && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (f->context, FALSE))
        g_usleep (10 * 1000);
    }
}

/* SIGQUIT asks for a graceful stop, after which every request is in the
 * access log; SIGTERM and then SIGKILL if that does not come. */
static void
stop_nginx (Fixture *f)
{
  if (f->process == NULL)
    return;

  if (!f->exited)
    {
      g_subprocess_send_signal (f->process, SIGQUIT);
      wait_exit (f, 10000);
    }
  if (!f->exited)
    {
      g_subprocess_send_signal (f->process, SIGTERM);
      wait_exit (f, 5000);
    }
  if (!f->exited)
    {
      g_subprocess_force_exit (f->process);
      wait_exit (f, 5000);
    }
  g_clear_object (&f->process);
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  stop_nginx (f);
  dp_test_rmdir (f->out);
  /* Sources of the finished wait are gone once it ran. */
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_main_context_unref (f->context);
  g_free (f->out);
  g_free (f);
  return 0;
}

static guint16
pick_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  g_socket_close (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
write_config (guint16 port)
{
  g_autofree char *conf = NULL;
  const char *d = served;

  /* Everything nginx writes stays under the prefix, so it needs no root
   * and leaves nothing behind. */
  conf = g_strdup_printf (
    "worker_processes 1;\n"
    "error_log %s/error.log warn;\n"
    "lock_file %s/nginx.lock;\n"
    "events { worker_connections 128; }\n"
    "http {\n"
    "  log_format dp '$connection $server_protocol $status $msec $request_time $body_bytes_sent "
    "\"$http_range\" \"$request\"';\n"
    "  access_log %s/access.log dp;\n"
    "  client_body_temp_path %s/body;\n"
    "  proxy_temp_path %s/proxy;\n"
    "  fastcgi_temp_path %s/fastcgi;\n"
    "  uwsgi_temp_path %s/uwsgi;\n"
    "  scgi_temp_path %s/scgi;\n"
    "  default_type application/octet-stream;\n"
    "  server {\n"
    "    listen 127.0.0.1:%u ssl http2;\n"
    "    ssl_certificate %s/cert.pem;\n"
    "    ssl_certificate_key %s/key.pem;\n"
    "    root %s/www;\n"
    "    limit_rate " RATE_LIMIT ";\n"
    "    location /nohead/ {\n"
    "      if ($request_method = HEAD) { return 405; }\n"
    "    }\n"
    "  }\n"
    "}\n",
    d, d, d, d, d, d, d, d, port, d, d, d);
  write_file (served, "nginx.conf", conf, 0644);
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Fixture *f = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  f->exited = TRUE;
}

static gboolean
port_is_open (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  if (connection != NULL)
    g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return connection != NULL;
}

/* Starts nginx with empty logs on a free port; another port if one was
 * taken between choosing it and nginx binding it. */
static void
start_nginx (Fixture *f)
{
  g_autofree char *conf = g_build_filename (served, "nginx.conf", NULL);
  g_autofree char *error_log = g_build_filename (served, "error.log", NULL);
  g_autofree char *access_log = g_build_filename (served, "access.log", NULL);
  g_autofree char *globals = g_strdup_printf ("daemon off; pid %s/nginx.pid;", served);
  g_autofree char *prefix = g_strconcat (served, "/", NULL);

  for (guint attempt = 0; attempt < START_ATTEMPTS; attempt++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *log = NULL;
      gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

      f->port = pick_port ();
      write_config (f->port);
      g_unlink (error_log);
      g_unlink (access_log);

      /* -e: the log for messages before the configuration is read. */
      f->exited = FALSE;
      f->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                                     nginx_path, "-p", prefix, "-c", conf, "-e", error_log,
                                     "-g", globals, NULL);
      g_assert_no_error (error);
      g_main_context_push_thread_default (f->context);
      g_subprocess_wait_async (f->process, NULL, on_exited, f);
      g_main_context_pop_thread_default (f->context);

      while (!f->exited && !port_is_open (f->port) && g_get_monotonic_time () < deadline)
        {
          g_main_context_iteration (f->context, FALSE);
          g_usleep (20 * 1000);
        }
      g_main_context_iteration (f->context, FALSE);
      if (!f->exited && port_is_open (f->port))
        return;

      log = read_text (error_log);
      stop_nginx (f);
      if (strstr (log, "Address already in use") == NULL)
        fail_msg ("nginx did not start: %s", log);
    }
  fail_msg ("nginx found no free port");
}

static void
log_line_free (LogLine *line)
{
  g_free (line->connection);
  g_free (line->protocol);
  g_free (line->range);
  g_free (line->method);
  g_free (line->path);
  g_free (line);
}

/* Stops nginx, so that the log is complete, and reads the lines of the
 * "dp" format: CONNECTION PROTOCOL STATUS END_S DURATION_S SENT "RANGE"
 * "METHOD PATH PROTOCOL". */
static GPtrArray *
read_access_log (Fixture *f)
{
  g_autofree char *path = g_build_filename (served, "access.log", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *parsed = g_ptr_array_new_with_free_func ((GDestroyNotify) log_line_free);

  stop_nginx (f);
  text = read_text (path);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) quoted = NULL;
      g_auto(GStrv) fields = NULL;
      g_auto(GStrv) request = NULL;
      LogLine *line;

      if (*lines[i] == '\0')
        continue;
      quoted = g_strsplit (lines[i], "\"", -1);
      if (g_strv_length (quoted) == 5)
        {
          fields = g_strsplit (quoted[0], " ", -1);
          request = g_strsplit (quoted[3], " ", -1);
        }
      if (fields == NULL || g_strv_length (fields) < 6 || g_strv_length (request) != 3)
        fail_msg ("unexpected access log line: %s", lines[i]);

      line = g_new0 (LogLine, 1);
      line->connection = g_strdup (fields[0]);
      line->protocol = g_strdup (fields[1]);
      line->status = (guint) g_ascii_strtoull (fields[2], NULL, 10);
      line->end_ms = (gint64) (g_ascii_strtod (fields[3], NULL) * 1000 + 0.5);
      line->start_ms = line->end_ms - (gint64) (g_ascii_strtod (fields[4], NULL) * 1000 + 0.5);
      line->sent = g_ascii_strtoull (fields[5], NULL, 10);
      line->range = g_strcmp0 (quoted[1], "-") != 0 ? g_strdup (quoted[1]) : NULL;
      line->method = g_strdup (request[0]);
      line->path = g_strdup (request[1]);
      g_ptr_array_add (parsed, line);
    }
  return parsed;
}

static gboolean
accept_any_certificate (SoupMessage          *msg,
                        GTlsCertificate      *certificate,
                        GTlsCertificateFlags  errors,
                        gpointer              user_data)
{
  return TRUE;
}

/* libsoup on its own gets HTTP/2 from this server, so the download is
 * tested against a server that offers it. */
static void
assert_server_offers_http2 (Fixture *f)
{
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%u/control.txt", f->port);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  assert_int_equal (soup_message_get_status (msg), SOUP_STATUS_OK);
  assert_int_equal (soup_message_get_http_version (msg), SOUP_HTTP_2_0);
  soup_session_abort (session);
}

static void
on_progress (DpDownload *download,
             guint      *peak)
{
  *peak = MAX (*peak, dp_download_get_connections (download));
}

/* Downloads @path with 16 segments, checks the file and returns the
 * most workers that were fetching at once. */
static guint
download_ok (Fixture    *f,
             const char *path)
{
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%u%s", f->port, path);
  g_autoptr(DpDownload) download = dp_download_new (url);
  g_autoptr(GError) error = NULL;
  g_autofree char *got = NULL;
  guint peak = 0;

  dp_download_set_directory (download, f->out);
  dp_download_set_segments (download, SEGMENTS);
  /* The certificate is self-signed. */
  dp_download_set_accept_invalid_certificates (download, TRUE);
  g_signal_connect (download, "progress", G_CALLBACK (on_progress), &peak);
  if (!dp_test_run_download (download, 120, &error))
    fail_msg ("download of %s failed: %s", path, error->message);

  got = dp_test_file_sha256 (dp_download_get_path (download));
  assert_non_null (got);
  assert_string_equal (got, content_sha256);
  return peak;
}

static int
compare_start (gconstpointer a,
               gconstpointer b)
{
  const LogLine *x = *(LogLine * const *) a;
  const LogLine *y = *(LogLine * const *) b;

  return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

/* Whether nginx sent all of the range: a worker read it to its end,
 * rather than giving it up. */
static gboolean
is_whole (const LogLine *line)
{
  guint64 first, last = FILE_SIZE - 1;
  char *end;

  if (!g_str_has_prefix (line->range, "bytes="))
    return FALSE;
  first = g_ascii_strtoull (line->range + 6, &end, 10);
  if (*end != '-')
    return FALSE;
  if (end[1] != '\0')
    last = g_ascii_strtoull (end + 1, NULL, 10);
  return last >= first && line->sent == last - first + 1;
}

/* The most requests nginx was serving at one moment. */
static guint
max_in_flight (GPtrArray *lines)
{
  guint most = 0;

  for (guint i = 0; i < lines->len; i++)
    {
      const LogLine *at = g_ptr_array_index (lines, i);
      guint n = 0;

      /* Counted just after each start; one that ends as another starts
       * is not counted with it. */
      for (guint j = 0; j < lines->len; j++)
        {
          const LogLine *other = g_ptr_array_index (lines, j);

          if (other->start_ms <= at->start_ms && other->end_ms > at->start_ms + ROUNDING_MS)
            n++;
        }
      most = MAX (most, n);
    }
  return most;
}

/* What nginx logged for the download of @path: every request over
 * HTTP/1.1, every range answered 206, and one connection per worker.
 * Returns the ranges. */
static GPtrArray *
assert_one_connection_per_worker (GPtrArray  *log,
                                  const char *path,
                                  guint       peak)
{
  g_autoptr(GHashTable) by_connection = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                               (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GPtrArray) whole = g_ptr_array_new ();
  GPtrArray *ranges = g_ptr_array_new ();
  GPtrArray *on_connection;
  GHashTableIter iter;
  guint in_flight;
  guint whole_in_flight;

  for (guint i = 0; i < log->len; i++)
    {
      LogLine *line = g_ptr_array_index (log, i);

      if (g_strcmp0 (line->path, path) != 0)
        continue;
      if (g_strcmp0 (line->protocol, "HTTP/1.1") != 0)
        fail_msg ("%s %s (range %s) went over %s", line->method, line->path,
                  line->range ? line->range : "none", line->protocol);
      if (line->range == NULL)
        continue;
      if (line->status != SOUP_STATUS_PARTIAL_CONTENT)
        fail_msg ("range %s was answered %u", line->range, line->status);

      g_ptr_array_add (ranges, line);
      if (is_whole (line))
        g_ptr_array_add (whole, line);
      on_connection = g_hash_table_lookup (by_connection, line->connection);
      if (on_connection == NULL)
        {
          on_connection = g_ptr_array_new ();
          g_hash_table_insert (by_connection, line->connection, on_connection);
        }
      g_ptr_array_add (on_connection, line);
    }

  /* A connection carries one range at a time, one after another. (The
   * engine may close a connection and open another, for a slow one or a
   * range it split, so connections can outnumber workers.) */
  g_hash_table_iter_init (&iter, by_connection);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &on_connection))
    {
      g_ptr_array_sort (on_connection, compare_start);
      for (guint i = 1; i < on_connection->len; i++)
        {
          LogLine *before = g_ptr_array_index (on_connection, i - 1);
          LogLine *line = g_ptr_array_index (on_connection, i);

          if (line->start_ms < before->end_ms - ROUNDING_MS)
            fail_msg ("connection %s carried ranges %s and %s at once",
                      line->connection, before->range, line->range);
        }
    }

  /* So the ranges nginx served at once came over as many connections:
   * at least half of the segments. Each range read to its end had a
   * worker of its own while nginx sent it, so never more of those than
   * workers; a range given up may linger in nginx while its worker
   * asks again, so only whole ones count for that. */
  in_flight = max_in_flight (ranges);
  whole_in_flight = max_in_flight (whole);
  print_message ("# %s: %u ranges (%u whole) over %u connections, at most %u at once "
                 "(%u whole), %u workers fetching at most\n", path, ranges->len, whole->len,
                 g_hash_table_size (by_connection), in_flight, whole_in_flight, peak);
  assert_true (in_flight >= 8);
  assert_true (whole_in_flight <= SEGMENTS);
  assert_true (g_hash_table_size (by_connection) >= in_flight);
  assert_in_range (peak, 8, SEGMENTS);
  return ranges;
}

/* The ranges go over HTTP/1.1, each worker on its own
 * connection, although the server offers HTTP/2. */
static void
test_ranges_over_http1 (void **state)
{
  Fixture *f = *state;
  g_autoptr(GPtrArray) log = NULL;
  g_autoptr(GPtrArray) ranges = NULL;
  guint peak;
  gboolean control_seen = FALSE;

  start_nginx (f);
  assert_server_offers_http2 (f);
  peak = download_ok (f, "/big.bin");

  log = read_access_log (f);
  for (guint i = 0; i < log->len; i++)
    {
      LogLine *line = g_ptr_array_index (log, i);

      if (g_strcmp0 (line->path, "/control.txt") == 0)
        {
          assert_string_equal (line->protocol, "HTTP/2.0");
          control_seen = TRUE;
        }
    }
  assert_true (control_seen);
  ranges = assert_one_connection_per_worker (log, "/big.bin", peak);
}

/* A server that refuses HEAD is never asked one: the probe is a GET of
 * the first MiB, over HTTP/1.1 too, and its body, read by worker 0 in
 * another thread, is the start of the file (nobody asks for byte 0
 * again). */
static void
test_probe_body_over_http1 (void **state)
{
  Fixture *f = *state;
  g_autoptr(GPtrArray) log = NULL;
  g_autoptr(GPtrArray) ranges = NULL;
  guint from_zero = 0;
  guint heads = 0;
  guint peak;

  start_nginx (f);
  peak = download_ok (f, "/nohead/big.bin");

  log = read_access_log (f);
  ranges = assert_one_connection_per_worker (log, "/nohead/big.bin", peak);
  for (guint i = 0; i < log->len; i++)
    {
      LogLine *line = g_ptr_array_index (log, i);

      if (g_strcmp0 (line->method, "HEAD") == 0)
        heads++;
    }
  for (guint i = 0; i < ranges->len; i++)
    {
      LogLine *line = g_ptr_array_index (ranges, i);

      if (g_str_has_prefix (line->range, "bytes=0-"))
        {
          assert_string_equal (line->range, "bytes=0-65535");
          from_zero++;
        }
    }
  assert_int_equal (heads, 0);
  assert_int_equal (from_zero, 1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_ranges_over_http1, setup, teardown),
    cmocka_unit_test_setup_teardown (test_probe_body_over_http1, setup, teardown),
  };
  int failed;

  /* Not cmocka's skip(): cmocka 1.1.5 writes a skipped test as
   * "not ok … # SKIP" in TAP, which counts as a failure. */
  nginx_path = find_nginx ();
  if (nginx_path == NULL)
    {
      printf ("1..0 # SKIP nginx with TLS and HTTP/2 is not installed (apt-get install nginx)\n");
      return 0;
    }

  failed = cmocka_run_group_tests (tests, group_setup, group_teardown);
  g_clear_pointer (&nginx_path, g_free);
  dp_test_quiesce_threads ();
  return failed;
}
