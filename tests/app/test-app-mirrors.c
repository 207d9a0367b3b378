/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>

#include "dp-app-add-dialog.h"
#include "dp-app-details-window.h"
#include "dp-app-download-row.h"
#include "dp-app-manager.h"
#include "dp-app-store.h"
#include "dp-app-test-util.h"
#include "dp-app-window.h"
#include "dp-error.h"
#include "dp-test-server.h"
#include "dp-test-util.h"

/* More addresses for one file: given in the add dialog, or by a
 * Metalink file the user opens; saved with the list; shown, each with
 * how it is doing, in the details; and whose digest the file passed. */

#define MiB (1024 * 1024)

typedef struct
{
  DpTestServer *server;
  DpTestServer *second;
  char *dir;
  char *store_path;
  DpAppManager *manager;
  GtkWidget *window;
  GtkApplication *app;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->server = dp_test_server_new ();
  f->second = dp_test_server_new ();
  f->dir = dp_test_mkdtemp ();
  f->store_path = g_build_filename (f->dir, "data", "downloads.gvariant", NULL);
  f->manager = dp_app_manager_new (NULL);
  g_object_set (f->manager, "directory", f->dir, NULL);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->app);
  g_object_unref (f->manager);
  dp_test_server_free (f->server);
  dp_test_server_free (f->second);
  dp_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->store_path);
  g_free (f);
  return 0;
}

static gboolean
is_settled (gpointer data)
{
  DpAppItemStatus status = dp_app_item_get_status (data);

  return !dp_app_item_is_running (data) &&
         (status == DP_APP_ITEM_FINISHED || status == DP_APP_ITEM_FAILED);
}

static DpAppItem *
item_at (DpAppManager *manager,
         guint         position)
{
  g_autoptr(DpAppItem) item = g_list_model_get_item (dp_app_manager_get_model (manager), position);
  return item;
}

static guint
n_items (DpAppManager *manager)
{
  return g_list_model_get_n_items (dp_app_manager_get_model (manager));
}

static void
assert_strv (const char * const *got,
             const char * const *want)
{
  g_autofree char *a = got != NULL ? g_strjoinv ("|", (char **) got) : g_strdup ("(none)");
  g_autofree char *b = want != NULL ? g_strjoinv ("|", (char **) want) : g_strdup ("(none)");

  assert_string_equal (a, b);
}

/* The download's own mirrors, as the engine was given them. */
static char *
download_mirrors (DpAppItem *item)
{
  GPtrArray *mirrors = dp_download_get_mirrors (dp_app_item_get_download (item));
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; mirrors != NULL && i < mirrors->len; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? "|" : "", (char *) g_ptr_array_index (mirrors, i));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* ---- the saved list --------------------------------------------------- */

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  dp_app_manager_load_finish (DP_APP_MANAGER (source), result, NULL);
}

static gboolean
is_loaded (gpointer data)
{
  return dp_app_manager_get_loaded (data);
}

static gboolean
store_is_idle (gpointer data)
{
  return dp_app_store_is_idle (data);
}

static DpAppManager *
load_manager (Fixture *f)
{
  g_autoptr(DpAppStore) store = dp_app_store_new (f->store_path);
  DpAppManager *manager = dp_app_manager_new (store);

  g_object_set (manager, "directory", f->dir, NULL);
  dp_app_manager_load_async (manager, NULL, on_loaded, NULL);
  dp_app_test_wait_until (is_loaded, manager, 10);
  dp_app_test_spin (10);
  return manager;
}

/* Saves @manager's list and reads it back into a new manager. */
static DpAppManager *
save_and_reload (Fixture      *f,
                 DpAppManager *manager)
{
  dp_app_test_wait_until (store_is_idle, dp_app_manager_get_store (manager), 10);
  dp_app_manager_shutdown (manager);
  return load_manager (f);
}

/* ---- the add dialog ----------------------------------------------------- */

static DpAppAddDialog *
new_dialog (Fixture *f)
{
  DpAppAddDialog *dialog = dp_app_add_dialog_new (NULL, f->manager);

  f->window = GTK_WIDGET (dialog);
  dp_app_add_dialog_set_start (dialog, FALSE);
  return dialog;
}

/* Each bad line of the more addresses is marked and said with its
 * number, as in the links box, and keeps Add off; good ones go with
 * the single link, to the item and to its engine download. */
static void
test_dialog_mirror_lines (void **state)
{
  Fixture *f = *state;
  DpAppAddDialog *dialog = new_dialog (f);
  const char *problems;
  const char *want[] = { "https://mirror.example.org/pub/a.iso", "http://other.example.net/a.iso", NULL };
  DpAppItem *item;
  g_autofree char *engine = NULL;

  dp_app_add_dialog_set_text (dialog, "https://example.com/a.iso");
  dp_app_add_dialog_set_mirrors (dialog,
                                 "https://mirror.example.org/pub/a.iso\n"
                                 "ftp://mirror.example.org/a.iso\n"
                                 "\n"
                                 "https://example.com/a.iso\n"
                                 "https://mirror.example.org/pub/a.iso\n"
                                 "mirror.example.org/a.iso\n");
  assert_false (dp_app_add_dialog_can_add (dialog));
  assert_int_equal (dp_app_add_dialog_add (dialog), 0);
  assert_int_equal (n_items (f->manager), 0);

  assert_false (dp_app_add_dialog_mirror_line_is_marked (dialog, 0));
  assert_true (dp_app_add_dialog_mirror_line_is_marked (dialog, 1));
  assert_false (dp_app_add_dialog_mirror_line_is_marked (dialog, 2));
  assert_true (dp_app_add_dialog_mirror_line_is_marked (dialog, 3));
  assert_true (dp_app_add_dialog_mirror_line_is_marked (dialog, 4));
  assert_true (dp_app_add_dialog_mirror_line_is_marked (dialog, 5));
  /* The links box has nothing to complain about. */
  assert_false (dp_app_add_dialog_line_is_marked (dialog, 0));

  problems = dp_app_add_dialog_get_problems_text (dialog);
  assert_non_null (strstr (problems, "More addresses, line 2: Downpour cannot download “ftp:” addresses"));
  assert_non_null (strstr (problems, "More addresses, line 4: A mirror is the download’s own address."));
  assert_non_null (strstr (problems, "More addresses, line 5: This link is already in the list above."));
  assert_non_null (strstr (problems, "More addresses, line 6: “mirror.example.org/a.iso” is not a complete address"));
  assert_null (strstr (problems, "line 1:"));
  assert_null (strstr (problems, "line 3:"));

  dp_app_add_dialog_set_mirrors (dialog,
                                 "https://mirror.example.org/pub/a.iso\n\n"
                                 "  http://other.example.net/a.iso  \n");
  assert_true (dp_app_add_dialog_can_add (dialog));
  assert_string_equal (dp_app_add_dialog_get_problems_text (dialog), "");
  assert_int_equal (dp_app_add_dialog_add (dialog), 1);

  item = item_at (f->manager, 0);
  assert_string_equal (dp_app_item_get_url (item), "https://example.com/a.iso");
  assert_strv (dp_app_item_get_mirrors (item), want);
  engine = download_mirrors (item);
  assert_string_equal (engine, "https://mirror.example.org/pub/a.iso|http://other.example.net/a.iso");
  assert_null (dp_app_item_get_metalink (item));
}

/* More addresses describe one file: with several links they are an
 * error that says what to do, and the field stays in view. */
static void
test_dialog_mirrors_need_one_link (void **state)
{
  Fixture *f = *state;
  DpAppAddDialog *dialog = new_dialog (f);
  GtkWidget *view;
  GtkWidget *expander;
  g_autofree char *mismatch = NULL;

  view = dp_app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_TEXT_VIEW,
                                  "More addresses for this file, one per line");
  assert_non_null (view);
  expander = gtk_widget_get_ancestor (view, ADW_TYPE_EXPANDER_ROW);
  assert_non_null (expander);
  assert_false (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (expander)));

  dp_app_add_dialog_set_text (dialog, "https://example.com/a.iso\nhttps://example.com/b.iso\n");
  dp_app_add_dialog_set_mirrors (dialog, "https://mirror.example.org/a.iso\n");
  assert_false (dp_app_add_dialog_can_add (dialog));
  assert_non_null (strstr (dp_app_add_dialog_get_problems_text (dialog),
                           "More addresses belong to a single link. Remove the other links, "
                           "or clear “More Addresses for This File”."));
  assert_true (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (expander)));
  mismatch = gtk_test_accessible_check_state (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_STATE_INVALID,
                                              GTK_ACCESSIBLE_INVALID_TRUE);
  assert_null (mismatch);
  assert_int_equal (dp_app_add_dialog_add (dialog), 0);

  /* One link again: all is well. */
  dp_app_add_dialog_set_text (dialog, "https://example.com/a.iso\n");
  assert_true (dp_app_add_dialog_can_add (dialog));
  g_clear_pointer (&mismatch, g_free);
  mismatch = gtk_test_accessible_check_state (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_STATE_INVALID,
                                              GTK_ACCESSIBLE_INVALID_FALSE);
  assert_null (mismatch);
}

/* A screen reader names the field and reads its problems with it; the
 * dialog still fits a phone with the field open. */
static void
test_dialog_mirror_field_accessible (void **state)
{
  Fixture *f = *state;
  DpAppAddDialog *dialog = new_dialog (f);
  GtkWidget *view = dp_app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_TEXT_VIEW,
                                             "More addresses for this file, one per line");
  GtkWidget *expander;
  GtkWidget *problems = NULL;
  g_autofree char *mismatch = NULL;
  g_autofree char *unnamed = NULL;
  int minimum = 0;

  assert_non_null (view);
  expander = gtk_widget_get_ancestor (view, ADW_TYPE_EXPANDER_ROW);
  assert_string_equal (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (expander)),
                       "More Addresses for This File");

  dp_app_add_dialog_set_text (dialog, "https://example.com/a.iso");
  dp_app_add_dialog_set_mirrors (dialog, "gopher://example.com/a.iso");
  problems = dp_app_test_find_text_widget (GTK_WIDGET (dialog),
                                           dp_app_add_dialog_get_problems_text (dialog));
  assert_non_null (problems);
  mismatch = gtk_test_accessible_check_relation (GTK_ACCESSIBLE (view),
                                                 GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, problems, NULL);
  assert_null (mismatch);

  gtk_window_present (GTK_WINDOW (dialog));
  dp_app_test_spin (200);
  gtk_widget_measure (GTK_WIDGET (dialog), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  if (minimum > 360)
    fail_msg ("the dialog needs %d pixels", minimum);
  unnamed = dp_app_test_dup_unnamed_buttons (GTK_WIDGET (dialog));
  if (*unnamed != '\0')
    fail_msg ("no accessible name: %s", unnamed);
}

/* The mirrors are saved with the list, and a restored item gives them
 * to its download again. */
static void
test_mirrors_saved (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = load_manager (f);
  g_autoptr(DpAppManager) reloaded = NULL;
  const char *mirrors[] = { "https://mirror.example.org/b.iso", "http://other.example.net/b.iso", NULL };
  g_autoptr(GError) error = NULL;
  DpAppItem *item;
  g_autofree char *engine = NULL;

  item = dp_app_manager_add (manager, "https://example.com/b.iso", NULL, 4, NULL, FALSE);
  assert_true (dp_app_item_set_mirrors (item, mirrors, &error));
  assert_null (error);
  /* One the engine refuses changes nothing. */
  {
    const char *own[] = { "https://example.net/c.iso", "https://example.com/b.iso", NULL };

    assert_false (dp_app_item_set_mirrors (item, own, &error));
    assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_INVALID_ARGUMENT));
    assert_strv (dp_app_item_get_mirrors (item), mirrors);
  }
  dp_app_manager_add (manager, "https://example.com/plain.iso", NULL, 4, NULL, FALSE);

  reloaded = save_and_reload (f, manager);
  assert_int_equal (n_items (reloaded), 2);
  item = item_at (reloaded, 0);
  assert_string_equal (dp_app_item_get_url (item), "https://example.com/b.iso");
  assert_strv (dp_app_item_get_mirrors (item), mirrors);
  engine = download_mirrors (item);
  assert_string_equal (engine, "https://mirror.example.org/b.iso|http://other.example.net/b.iso");
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_PAUSED);

  item = item_at (reloaded, 1);
  assert_null (dp_app_item_get_mirrors (item));
}

/* ---- Metalink files ------------------------------------------------------ */

static char *
sha256_of_content (guint64 seed,
                   guint64 offset,
                   gsize   length)
{
  g_autofree guint8 *buffer = g_malloc (MAX (length, 1));
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  dp_test_content_fill (seed, offset, buffer, length);
  g_checksum_update (sum, buffer, length);
  return g_strdup (g_checksum_get_string (sum));
}

/* A <file> element: @urls best first, the whole file's SHA-256 when
 * @hash, and SHA-256 pieces of @piece bytes when @piece > 0. */
static void
append_file (GString            *xml,
             const char         *name,
             guint64             seed,
             guint64             size,
             gboolean            hash,
             guint64             piece,
             const char * const *urls)
{
  g_autofree char *escaped = g_markup_escape_text (name, -1);

  g_string_append_printf (xml, "  <file name=\"%s\">\n    <size>%" G_GUINT64_FORMAT "</size>\n",
                          escaped, size);
  if (hash)
    {
      g_autofree char *sha = dp_test_content_sha256 (seed, size);

      g_string_append_printf (xml, "    <hash type=\"sha-256\">%s</hash>\n", sha);
    }
  if (piece > 0)
    {
      g_string_append_printf (xml, "    <pieces length=\"%" G_GUINT64_FORMAT "\" type=\"sha-256\">\n",
                              piece);
      for (guint64 offset = 0; offset < size; offset += piece)
        {
          g_autofree char *sha = sha256_of_content (seed, offset, MIN (piece, size - offset));

          g_string_append_printf (xml, "      <hash>%s</hash>\n", sha);
        }
      g_string_append (xml, "    </pieces>\n");
    }
  for (guint i = 0; urls[i] != NULL; i++)
    {
      g_autofree char *url = g_markup_escape_text (urls[i], -1);

      g_string_append_printf (xml, "    <url priority=\"%u\">%s</url>\n", i + 1, url);
    }
  g_string_append (xml, "  </file>\n");
}

static GFile *
write_file (Fixture    *f,
            const char *name,
            const char *contents,
            gssize      length)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, contents, length, &error))
    fail_msg ("%s", error->message);
  return g_file_new_for_path (path);
}

static GFile *
write_metalink (Fixture    *f,
                const char *name,
                GString    *files)
{
  g_autofree char *xml = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                          "<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\">\n"
                                          "%s</metalink>\n", files->str);

  return write_file (f, name, xml, -1);
}

typedef struct
{
  gboolean done;
  GPtrArray *items;
  GError *error;
} AddResult;

static void
on_metalink_added (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  AddResult *add = user_data;

  add->items = dp_app_manager_add_metalink_finish (DP_APP_MANAGER (source), result, &add->error);
  add->done = TRUE;
}

static gboolean
is_added (gpointer data)
{
  return ((AddResult *) data)->done;
}

/* Opens @file as the window does; returns the items added, or NULL
 * and the error in *@error. */
static GPtrArray *
open_metalink (DpAppManager  *manager,
               GFile         *file,
               gboolean       start,
               GError       **error)
{
  AddResult add = { 0 };

  dp_app_manager_add_metalink_async (manager, file, start, NULL, on_metalink_added, &add);
  dp_app_test_wait_until (is_added, &add, 10);
  if (add.error != NULL)
    g_propagate_error (error, add.error);
  return add.items;
}

/* One download per file: its first address the item's, the others its
 * mirrors, its name (only the last part of a path), its size, and its
 * hash to check against; all of it comes back after a restart. */
static void
test_metalink_adds_items (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = load_manager (f);
  g_autoptr(DpAppManager) reloaded = NULL;
  g_autoptr(GString) xml = g_string_new (NULL);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  const char *alpha_urls[] = { "https://one.example.org/alpha.bin?x=1&y=2",
                               "http://two.example.net/alpha.bin", NULL };
  const char *beta_urls[] = { "https://one.example.org/beta.tar.gz", NULL };
  const DpMetalinkFile *metalink;
  DpAppItem *alpha, *beta;
  g_autofree char *sha = dp_test_content_sha256 (3, 3 * MiB + 5);

  append_file (xml, "pub/alpha.bin", 3, 3 * MiB + 5, TRUE, MiB, alpha_urls);
  append_file (xml, "beta.tar.gz", 4, 1000, FALSE, 0, beta_urls);
  file = write_metalink (f, "files.meta4", xml);

  items = open_metalink (manager, file, FALSE, &error);
  assert_null (error);
  assert_int_equal (items->len, 2);
  assert_int_equal (n_items (manager), 2);

  alpha = item_at (manager, 0);
  assert_true (alpha == g_ptr_array_index (items, 0));
  assert_string_equal (dp_app_item_get_url (alpha), alpha_urls[0]);
  assert_strv (dp_app_item_get_mirrors (alpha), alpha_urls + 1);
  assert_string_equal (dp_app_item_get_display_name (alpha), "alpha.bin");
  assert_int_equal (dp_app_item_get_size (alpha), 3 * MiB + 5);
  assert_int_equal (dp_app_item_get_status (alpha), DP_APP_ITEM_PAUSED);
  assert_string_equal (dp_app_item_get_directory (alpha), f->dir);
  /* Checked against the Metalink's hash, not a checksum of the user's. */
  assert_null (dp_app_item_get_checksum (alpha));
  assert_int_equal (dp_app_item_get_verified_by (alpha), DP_DIGEST_ORIGIN_METALINK);
  assert_string_equal (dp_app_item_get_verified_algorithm (alpha), "sha256");
  assert_int_equal (dp_app_item_get_checksum_result (alpha), DP_DOWNLOAD_CHECKSUM_PENDING);
  metalink = dp_app_item_get_metalink (alpha);
  assert_non_null (metalink);
  assert_int_equal (metalink->pieces->len, 4);

  beta = item_at (manager, 1);
  assert_string_equal (dp_app_item_get_url (beta), beta_urls[0]);
  assert_null (dp_app_item_get_mirrors (beta));
  assert_string_equal (dp_app_item_get_display_name (beta), "beta.tar.gz");
  assert_int_equal (dp_app_item_get_verified_by (beta), DP_DIGEST_ORIGIN_NONE);

  reloaded = save_and_reload (f, manager);
  assert_int_equal (n_items (reloaded), 2);
  alpha = item_at (reloaded, 0);
  assert_string_equal (dp_app_item_get_url (alpha), alpha_urls[0]);
  assert_strv (dp_app_item_get_mirrors (alpha), alpha_urls + 1);
  assert_string_equal (dp_app_item_get_display_name (alpha), "alpha.bin");
  assert_int_equal (dp_app_item_get_verified_by (alpha), DP_DIGEST_ORIGIN_METALINK);
  metalink = dp_app_item_get_metalink (alpha);
  assert_non_null (metalink);
  assert_string_equal (metalink->name, "pub/alpha.bin");
  assert_int_equal (metalink->size, 3 * MiB + 5);
  assert_int_equal (metalink->urls->len, 2);
  assert_non_null (metalink->checksum);
  assert_string_equal (dp_checksum_get_expected (metalink->checksum), sha);
  assert_int_equal (metalink->piece_type, G_CHECKSUM_SHA256);
  assert_int_equal (metalink->piece_length, MiB);
  assert_int_equal (metalink->pieces->len, 4);
  beta = item_at (reloaded, 1);
  assert_string_equal (dp_app_item_get_display_name (beta), "beta.tar.gz");
  assert_non_null (dp_app_item_get_metalink (beta));
}

/* A saved Metalink item is checked again like a document: a list edited
 * by hand cannot hand the engine pieces that do not fit the file. */
static void
test_metalink_saved_is_checked (void **state)
{
  Fixture *f = *state;
  g_auto(GVariantBuilder) urls = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(su)"));
  g_auto(GVariantDict) metalink = G_VARIANT_DICT_INIT (NULL);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  const char *pieces[] = { "00", "11", NULL };
  g_autoptr(GVariant) saved = NULL;
  g_autoptr(DpAppItem) item = NULL;
  const DpMetalinkFile *file;
  const char *want[] = { "https://b.example.org/f.bin", NULL };

  g_variant_builder_add (&urls, "(su)", "https://a.example.org/f.bin", 1);
  g_variant_builder_add (&urls, "(su)", "ftp://a.example.org/f.bin", 2);
  g_variant_builder_add (&urls, "(su)", "https://a.example.org/f.bin", 3);
  g_variant_builder_add (&urls, "(su)", "https://b.example.org/f.bin", 4);
  g_variant_dict_insert_value (&metalink, "urls", g_variant_builder_end (&urls));
  g_variant_dict_insert (&metalink, "size", "x", (gint64) 3000000);
  g_variant_dict_insert (&metalink, "checksum", "s", "sha256:not-hex");
  g_variant_dict_insert (&metalink, "piece-type", "s", "sha256");
  g_variant_dict_insert (&metalink, "piece-length", "x", (gint64) 1000);
  g_variant_dict_insert_value (&metalink, "pieces", g_variant_new_strv (pieces, -1));
  g_variant_dict_insert (&dict, "url", "s", "https://a.example.org/f.bin");
  g_variant_dict_insert (&dict, "directory", "s", f->dir);
  g_variant_dict_insert_value (&dict, "metalink", g_variant_dict_end (&metalink));
  saved = g_variant_ref_sink (g_variant_dict_end (&dict));

  item = dp_app_item_new_from_variant (saved);
  assert_non_null (item);
  file = dp_app_item_get_metalink (item);
  assert_non_null (file);
  assert_int_equal (file->urls->len, 2);
  assert_strv (dp_app_item_get_mirrors (item), want);
  assert_null (file->checksum);
  assert_int_equal (file->pieces->len, 0);
  assert_int_equal (file->piece_length, 0);
  assert_int_equal (dp_app_item_get_verified_by (item), DP_DIGEST_ORIGIN_NONE);
}

/* A file that is not a usable Metalink document adds nothing, and says
 * why in words for the user. */
static void
test_metalink_refused (void **state)
{
  Fixture *f = *state;
  g_autoptr(GFile) broken = write_file (f, "broken.meta4", "<metalink><file name=\"x\">", -1);
  g_autoptr(GFile) other = write_file (f, "other.meta4", "<html><body>Not here</body></html>", -1);
  g_autoptr(GFile) missing = g_file_new_build_filename (f->dir, "missing.meta4", NULL);
  g_autoptr(GFile) huge = NULL;
  g_autofree char *big = NULL;
  gsize big_size = 4 * MiB + 1;
  GFile *files[] = { broken, other, missing };

  /* Well-formed up to the limit: only its size is wrong. */
  big = g_malloc (big_size);
  memset (big, ' ', big_size);
  memcpy (big, "<metalink>", strlen ("<metalink>"));
  huge = write_file (f, "huge.meta4", big, big_size);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) items = open_metalink (f->manager, files[i], TRUE, &error);

      assert_null (items);
      assert_non_null (error);
      assert_true (strlen (error->message) > 10);
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) items = open_metalink (f->manager, huge, TRUE, &error);

    assert_null (items);
    assert_true (g_error_matches (error, DP_ERROR, DP_ERROR_BAD_RESPONSE));
    assert_non_null (strstr (error->message, "larger than 4 MiB"));
  }
  assert_int_equal (n_items (f->manager), 0);
}

/* ---- the details window --------------------------------------------- */

static AdwActionRow *
find_row (GtkWidget  *root,
          const char *title)
{
  if (ADW_IS_ACTION_ROW (root) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    return ADW_ACTION_ROW (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      AdwActionRow *found = find_row (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static const char *
value_of (GtkWidget  *window,
          const char *title)
{
  AdwActionRow *row = find_row (window, title);

  if (row == NULL)
    fail_msg ("no row “%s”", title);
  return adw_action_row_get_subtitle (row);
}

/* The preferences group titled "Mirrors". */
static GtkWidget *
find_mirrors_group (GtkWidget *root)
{
  if (ADW_IS_PREFERENCES_GROUP (root) &&
      g_strcmp0 (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (root)), "Mirrors") == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_mirrors_group (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
collect_rows (GtkWidget *root,
              GPtrArray *rows)
{
  if (ADW_IS_ACTION_ROW (root))
    g_ptr_array_add (rows, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_rows (child, rows);
}

/* The address rows of the details window, in order. */
static GPtrArray *
mirror_rows (GtkWidget *window)
{
  GtkWidget *group = find_mirrors_group (window);
  GPtrArray *rows = g_ptr_array_new ();

  assert_non_null (group);
  collect_rows (group, rows);
  return rows;
}

static AdwActionRow *
mirror_row (GtkWidget  *window,
            const char *url)
{
  g_autoptr(GPtrArray) rows = mirror_rows (window);

  for (guint i = 0; i < rows->len; i++)
    if (g_str_equal (adw_preferences_row_get_title (g_ptr_array_index (rows, i)), url))
      return g_ptr_array_index (rows, i);
  fail_msg ("no row for %s", url);
  return NULL;
}

typedef struct
{
  GtkWidget *window;
  const char *prefix;
} RowWait;

static gboolean
some_row_starts_with (gpointer data)
{
  RowWait *wait = data;
  g_autoptr(GPtrArray) rows = mirror_rows (wait->window);

  for (guint i = 0; i < rows->len; i++)
    if (g_str_has_prefix (adw_action_row_get_subtitle (g_ptr_array_index (rows, i)), wait->prefix))
      return TRUE;
  return FALSE;
}

typedef struct
{
  GtkWidget *window;
  const char *title;
  const char *text;
} Shows;

static gboolean
row_shows (gpointer data)
{
  Shows *wait = data;

  return g_strcmp0 (value_of (wait->window, wait->title), wait->text) == 0;
}

/* A real download from two servers, one address of a third that has
 * another file: each address has a row that follows it while it runs,
 * without new widgets, and says how it ended; the one with the wrong
 * file says why it was left out. A download of one address has no such
 * group. */
static void
test_details_mirror_rows (void **state)
{
  Fixture *f = *state;
  guint64 size = 6 * MiB;
  g_autofree char *query = g_strdup_printf ("/file/mirrored.bin?size=%" G_GUINT64_FORMAT
                                            "&seed=9&rate=1000000", size);
  g_autofree char *other = g_strdup_printf ("/file/mirrored.bin?size=%" G_GUINT64_FORMAT "&seed=9",
                                            size + 1);
  g_autofree char *url = dp_test_server_url (f->server, query);
  g_autofree char *mirror = dp_test_server_url (f->second, query);
  g_autofree char *wrong = dp_test_server_url (f->second, other);
  g_autofree char *expected = dp_test_content_sha256 (9, size);
  g_autofree char *path = g_build_filename (f->dir, "mirrored.bin", NULL);
  g_autofree char *sum = NULL;
  g_autofree char *single_url = dp_test_server_url (f->server, "/file/single.bin?size=1000");
  const char *mirrors[] = { mirror, wrong, NULL };
  g_autoptr(GPtrArray) during = NULL;
  g_autoptr(GPtrArray) after = NULL;
  RowWait downloading = { NULL, "Downloading · " };
  DpAppItem *item, *single;
  GtkWidget *group;

  item = dp_app_manager_add (f->manager, url, NULL, 4, NULL, FALSE);
  assert_true (dp_app_item_set_mirrors (item, mirrors, NULL));
  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, item));
  downloading.window = f->window;

  /* Before it starts: every address, not asked yet. */
  group = find_mirrors_group (f->window);
  assert_true (gtk_widget_get_visible (group));
  during = mirror_rows (f->window);
  assert_int_equal (during->len, 3);
  assert_string_equal (adw_action_row_get_subtitle (mirror_row (f->window, mirror)), "Not asked yet");
  g_clear_pointer (&during, g_ptr_array_unref);

  dp_app_item_resume (item);
  dp_app_test_wait_until (some_row_starts_with, &downloading, 30);
  during = mirror_rows (f->window);
  assert_int_equal (during->len, 3);
  dp_app_test_wait_until (is_settled, item, 60);
  dp_app_test_spin (400);

  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  sum = dp_test_file_sha256 (path);
  assert_string_equal (sum, expected);

  /* The same rows, only their text changed. */
  after = mirror_rows (f->window);
  assert_int_equal (after->len, 3);
  for (guint i = 0; i < after->len; i++)
    assert_true (g_ptr_array_index (after, i) == g_ptr_array_index (during, i));

  assert_true (g_str_has_prefix (adw_action_row_get_subtitle (mirror_row (f->window, url)), "Sent "));
  assert_true (g_str_has_prefix (adw_action_row_get_subtitle (mirror_row (f->window, mirror)), "Sent "));
  assert_string_equal (adw_action_row_get_subtitle (mirror_row (f->window, wrong)),
                       "Not used: it has a file of another size");

  /* A screen reader reads each address with how it is doing, and long
   * addresses still fit a phone's width. */
  for (guint i = 0; i < after->len; i++)
    {
      GtkAccessible *row = g_ptr_array_index (after, i);

      assert_true (gtk_test_accessible_has_relation (row, GTK_ACCESSIBLE_RELATION_LABELLED_BY));
      assert_true (gtk_test_accessible_has_relation (row, GTK_ACCESSIBLE_RELATION_DESCRIBED_BY));
    }
  {
    int minimum = 0;

    gtk_widget_measure (f->window, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
    if (minimum > 360)
      fail_msg ("the window needs %d pixels", minimum);
  }

  gtk_window_destroy (GTK_WINDOW (f->window));
  single = dp_app_manager_add (f->manager, single_url, NULL, 2, NULL, FALSE);
  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, single));
  assert_false (gtk_widget_get_visible (find_mirrors_group (f->window)));
}

/* A Metalink file's download against the test servers: from both its
 * addresses, checked against its hash, and said so in the details and
 * in the list. */
static void
test_metalink_download_verified (void **state)
{
  Fixture *f = *state;
  guint64 size = 4 * MiB + 3;
  g_autofree char *query = g_strdup_printf ("/file/served.bin?size=%" G_GUINT64_FORMAT
                                            "&seed=11&rate=1000000", size);
  g_autofree char *first = dp_test_server_url (f->server, query);
  g_autofree char *second = dp_test_server_url (f->second, query);
  const char *urls[] = { first, second, NULL };
  g_autoptr(GString) xml = g_string_new (NULL);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "release.bin", NULL);
  g_autofree char *expected = dp_test_content_sha256 (11, size);
  g_autofree char *sum = NULL;
  g_autoptr(GtkWidget) row = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  Shows verified = { NULL, "Checksum", "Verified: SHA-256 from the Metalink" };
  DpAppItem *item;

  append_file (xml, "release.bin", 11, size, TRUE, MiB, urls);
  file = write_metalink (f, "release.meta4", xml);
  items = open_metalink (f->manager, file, TRUE, &error);
  assert_null (error);
  assert_int_equal (items->len, 1);
  item = g_ptr_array_index (items, 0);

  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, item));
  verified.window = f->window;
  assert_string_equal (value_of (f->window, "Checksum"), "Not checked yet: SHA-256 from the Metalink");

  dp_app_test_wait_until (is_settled, item, 60);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);
  sum = dp_test_file_sha256 (path);
  assert_string_equal (sum, expected);
  assert_int_equal (dp_app_item_get_verified_by (item), DP_DIGEST_ORIGIN_METALINK);
  assert_int_equal (dp_app_item_get_checksum_result (item), DP_DOWNLOAD_CHECKSUM_VERIFIED);
  assert_true (dp_test_server_get_bytes_sent (f->second) > 0);

  dp_app_test_wait_until (row_shows, &verified, 5);
  rows = mirror_rows (f->window);
  assert_int_equal (rows->len, 2);
  assert_non_null (mirror_row (f->window, first));
  assert_non_null (mirror_row (f->window, second));

  row = g_object_ref_sink (dp_app_download_row_new (f->manager));
  dp_app_download_row_set_item (DP_APP_DOWNLOAD_ROW (row), item);
  assert_string_equal (dp_app_download_row_get_status_text (DP_APP_DOWNLOAD_ROW (row)),
                       "Finished · Verified");
  dp_app_download_row_set_item (DP_APP_DOWNLOAD_ROW (row), NULL);
}

/* A digest the server sent checks the file: the details say so, after a
 * restart too; one that does not match says whose it was. */
static void
test_server_digest (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppManager) manager = load_manager (f);
  g_autoptr(DpAppManager) reloaded = NULL;
  g_autofree char *good = dp_test_server_url (f->server, "/file/digest.bin?size=300000&seed=5&reprdigest=sha-256");
  g_autofree char *bad = dp_test_server_url (f->server, "/file/damaged.bin?size=300000&seed=5&reprdigest=wrong");
  g_autoptr(GtkWidget) row = NULL;
  DpAppItem *verified, *failed;

  verified = dp_app_manager_add (manager, good, NULL, 2, NULL, TRUE);
  failed = dp_app_manager_add (manager, bad, NULL, 2, NULL, TRUE);
  /* Nobody knows of a digest before the server answers. */
  assert_int_equal (dp_app_item_get_verified_by (verified), DP_DIGEST_ORIGIN_NONE);
  dp_app_test_wait_until (is_settled, verified, 30);
  dp_app_test_wait_until (is_settled, failed, 30);

  assert_int_equal (dp_app_item_get_status (verified), DP_APP_ITEM_FINISHED);
  assert_int_equal (dp_app_item_get_verified_by (verified), DP_DIGEST_ORIGIN_SERVER);
  assert_string_equal (dp_app_item_get_verified_algorithm (verified), "sha256");
  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, verified));
  assert_string_equal (value_of (f->window, "Checksum"), "Verified: SHA-256 from the server");
  gtk_window_destroy (GTK_WINDOW (f->window));

  row = g_object_ref_sink (dp_app_download_row_new (manager));
  dp_app_download_row_set_item (DP_APP_DOWNLOAD_ROW (row), verified);
  assert_string_equal (dp_app_download_row_get_status_text (DP_APP_DOWNLOAD_ROW (row)),
                       "Finished · Verified");
  dp_app_download_row_set_item (DP_APP_DOWNLOAD_ROW (row), NULL);

  assert_int_equal (dp_app_item_get_status (failed), DP_APP_ITEM_FAILED);
  assert_int_equal (dp_app_item_get_checksum_result (failed), DP_DOWNLOAD_CHECKSUM_MISMATCH);
  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, failed));
  assert_string_equal (value_of (f->window, "Checksum"),
                       "Mismatch: the file did not match the SHA-256 from the server");
  assert_non_null (strstr (value_of (f->window, "Error"), "server"));
  gtk_window_destroy (GTK_WINDOW (f->window));

  reloaded = save_and_reload (f, manager);
  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, item_at (reloaded, 0)));
  assert_string_equal (value_of (f->window, "Checksum"), "Verified: SHA-256 from the server");
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, item_at (reloaded, 1)));
  assert_string_equal (value_of (f->window, "Checksum"),
                       "Mismatch: the file did not match the SHA-256 from the server");
}

/* A mirror the server names (Link: rel=duplicate) has a row of its own,
 * marked as the server's, though the item has a single address. */
static void
test_server_named_mirror (void **state)
{
  Fixture *f = *state;
  guint64 size = 8 * MiB;
  g_autofree char *plain = g_strdup_printf ("/file/linked.bin?size=%" G_GUINT64_FORMAT "&rate=2000000", size);
  g_autofree char *mirror = dp_test_server_url (f->second, plain);
  g_autofree char *escaped = g_uri_escape_string (mirror, NULL, FALSE);
  g_autofree char *query = g_strdup_printf ("%s&duplicate=%s", plain, escaped);
  g_autofree char *url = dp_test_server_url (f->server, query);
  const char *text;
  DpAppItem *item;

  item = dp_app_manager_add (f->manager, url, NULL, 4, NULL, FALSE);
  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, item));
  assert_false (gtk_widget_get_visible (find_mirrors_group (f->window)));
  dp_app_item_resume (item);
  dp_app_test_wait_until (is_settled, item, 60);
  dp_app_test_spin (400);
  assert_int_equal (dp_app_item_get_status (item), DP_APP_ITEM_FINISHED);

  assert_true (gtk_widget_get_visible (find_mirrors_group (f->window)));
  text = adw_action_row_get_subtitle (mirror_row (f->window, mirror));
  assert_true (g_str_has_suffix (text, "\nSuggested by the server"));
  text = adw_action_row_get_subtitle (mirror_row (f->window, url));
  assert_null (strstr (text, "Suggested by the server"));
}

static DpAppItem *
restore (Fixture    *f,
         const char *status,
         const char *verified_by,
         int         error_code)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GVariant) saved = NULL;
  DpAppItem *item;

  g_variant_dict_insert (&dict, "url", "s", "https://example.com/checked.iso");
  g_variant_dict_insert (&dict, "directory", "s", f->dir);
  g_variant_dict_insert (&dict, "status", "s", status);
  g_variant_dict_insert (&dict, "verified-by", "s", verified_by);
  g_variant_dict_insert (&dict, "verified-algorithm", "s", "sha512");
  if (error_code >= 0)
    {
      g_variant_dict_insert (&dict, "error", "s", "The file does not match.");
      g_variant_dict_insert (&dict, "error-code", "i", error_code);
    }
  saved = g_variant_ref_sink (g_variant_dict_end (&dict));
  item = dp_app_item_new_from_variant (saved);
  assert_non_null (item);
  return item;
}

/* How a file was checked, and against whose digest, is saved with the
 * list and said in the details after a restart. */
static void
test_restored_verification (void **state)
{
  Fixture *f = *state;
  g_autoptr(DpAppItem) server = restore (f, "finished", "server", -1);
  g_autoptr(DpAppItem) metalink = restore (f, "failed", "metalink", DP_ERROR_CHECKSUM);
  g_autoptr(DpAppItem) user = restore (f, "finished", "user", -1);
  g_autoptr(GVariant) again = NULL;
  g_autoptr(DpAppItem) reread = NULL;

  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, server));
  assert_string_equal (value_of (f->window, "Checksum"), "Verified: SHA-512 from the server");
  gtk_window_destroy (GTK_WINDOW (f->window));

  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, metalink));
  assert_string_equal (value_of (f->window, "Checksum"),
                       "Mismatch: the file did not match the SHA-512 from the Metalink");
  gtk_window_destroy (GTK_WINDOW (f->window));

  f->window = GTK_WIDGET (dp_app_details_window_show (NULL, user));
  assert_string_equal (value_of (f->window, "Checksum"), "Verified: SHA-512 from your checksum");

  again = g_variant_ref_sink (dp_app_item_serialize (server));
  reread = dp_app_item_new_from_variant (again);
  assert_int_equal (dp_app_item_get_verified_by (reread), DP_DIGEST_ORIGIN_SERVER);
  assert_string_equal (dp_app_item_get_verified_algorithm (reread), "sha512");
  assert_int_equal (dp_app_item_get_checksum_result (reread), DP_DOWNLOAD_CHECKSUM_VERIFIED);
}

/* ---- the window ------------------------------------------------------ */

static void
show_window (Fixture *f)
{
  static guint n_apps;
  g_autofree char *id = g_strdup_printf ("io.github.downpour.Downpour.MirrorsTest%u", n_apps++);
  g_autoptr(GError) error = NULL;

  f->app = gtk_application_new (id, G_APPLICATION_NON_UNIQUE);
  assert_true (g_application_register (G_APPLICATION (f->app), NULL, &error));
  f->window = GTK_WIDGET (dp_app_window_new (f->app, f->manager));
  gtk_window_present (GTK_WINDOW (f->window));
}

static gboolean
drop_files (GtkWidget *window,
            GFile     *file)
{
  GtkWidget *overlay = dp_app_test_find_widget (window, ADW_TYPE_TOAST_OVERLAY, NULL);
  g_autoptr(GListModel) controllers = NULL;
  GtkDropTarget *target = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  GSList *list = g_slist_prepend (NULL, file);
  gboolean handled = FALSE;

  assert_non_null (overlay);
  controllers = gtk_widget_observe_controllers (overlay);
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && target == NULL; i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        target = GTK_DROP_TARGET (controller);
    }
  assert_non_null (target);

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_set_boxed (&value, list);
  g_slist_free (list);
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &handled);
  return handled;
}

static gboolean
has_two_items (gpointer data)
{
  return n_items (data) == 2;
}

static gboolean
has_alert (gpointer data)
{
  return dp_app_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

/* A Metalink file dropped on the window adds its downloads at once,
 * without the add dialog; one that cannot be read says why in an alert
 * and adds nothing. */
static void
test_window_opens_dropped_metalink (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = dp_test_server_url (f->server, "/file/dropped.iso?size=5000&seed=1");
  g_autofree char *mirror = dp_test_server_url (f->second, "/file/dropped.iso?size=5000&seed=1");
  g_autofree char *second = dp_test_server_url (f->server, "/file/second.iso?size=7000&seed=2");
  const char *urls[] = { url, mirror, NULL };
  const char *other[] = { second, NULL };
  g_autoptr(GString) xml = g_string_new (NULL);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) broken = write_file (f, "broken.metalink", "<metalink><file", -1);
  GtkWidget *alert;
  DpAppItem *item;

  append_file (xml, "dropped.iso", 1, 5000, TRUE, 0, urls);
  append_file (xml, "second.iso", 2, 7000, FALSE, 0, other);
  file = write_metalink (f, "dropped.meta4", xml);
  show_window (f);

  assert_true (drop_files (f->window, file));
  dp_app_test_wait_until (has_two_items, f->manager, 10);
  item = item_at (f->manager, 0);
  assert_string_equal (dp_app_item_get_url (item), urls[0]);
  assert_strv (dp_app_item_get_mirrors (item), urls + 1);
  assert_null (dp_app_test_find_toplevel (DP_APP_TYPE_ADD_DIALOG));

  assert_true (drop_files (f->window, broken));
  dp_app_test_wait_until (has_alert, NULL, 10);
  alert = dp_app_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  assert_string_equal (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (alert)),
                       "Cannot Open “broken.metalink”");
  assert_non_null (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (alert)), "Metalink"));
  assert_int_equal (n_items (f->manager), 2);
  gtk_window_destroy (GTK_WINDOW (alert));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_dialog_mirror_lines, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dialog_mirrors_need_one_link, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dialog_mirror_field_accessible, setup, teardown),
    cmocka_unit_test_setup_teardown (test_mirrors_saved, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metalink_adds_items, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metalink_saved_is_checked, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metalink_refused, setup, teardown),
    cmocka_unit_test_setup_teardown (test_details_mirror_rows, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metalink_download_verified, setup, teardown),
    cmocka_unit_test_setup_teardown (test_restored_verification, setup, teardown),
    cmocka_unit_test_setup_teardown (test_server_digest, setup, teardown),
    cmocka_unit_test_setup_teardown (test_server_named_mirror, setup, teardown),
    cmocka_unit_test_setup_teardown (test_window_opens_dropped_metalink, setup, teardown),
  };

  if (!dp_app_test_have_display ())
    return 0;
  adw_init ();
  return cmocka_run_group_tests (tests, NULL, NULL);
}
