/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * downpour-browser-host: the native-messaging host of Downpour's browser
 * extension. The browser starts it and writes framed JSON messages to
 * its standard input; each download is checked and handed to the app
 * over D-Bus (io.github.downpour.Downpour.Browser.AddDownload; the bus
 * starts the app when it is not running), and answered on standard output with
 * {"ok":true} or {"ok":false,"error":"…"}. Nothing else may reach
 * standard output: it belongs to the browser. No network port is opened.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include "dp-host-message.h"

#define APP_OBJECT_PATH "/io/github/downpour/Downpour"
/* D-Bus activation may have to start the app. */
#define CALL_TIMEOUT_MS 30000

static GVariant *
download_to_variant (const DpHostDownload *download)
{
  GVariantBuilder dict;

  g_variant_builder_init (&dict, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&dict, "{sv}", "url", g_variant_new_string (download->url));
  if (download->referrer != NULL)
    g_variant_builder_add (&dict, "{sv}", "referrer", g_variant_new_string (download->referrer));
  if (download->cookies != NULL)
    g_variant_builder_add (&dict, "{sv}", "cookies", g_variant_new_string (download->cookies));
  if (download->user_agent != NULL)
    g_variant_builder_add (&dict, "{sv}", "user-agent", g_variant_new_string (download->user_agent));
  if (download->filename != NULL)
    g_variant_builder_add (&dict, "{sv}", "filename", g_variant_new_string (download->filename));
  return g_variant_builder_end (&dict);
}

/* The app's Browser interface: a refusal comes back as an error, which
 * the extension hears (and then keeps the browser's own download). */
static gboolean
hand_over (GDBusConnection       *bus,
           const DpHostDownload  *download,
           GError               **error)
{
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (bus, APP_ID, APP_OBJECT_PATH,
                                       "io.github.downpour.Downpour.Browser", "AddDownload",
                                       g_variant_new ("(@a{sv})", download_to_variant (download)),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL,
                                       error);
  return reply != NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  int status = 0;

  setlocale (LC_ALL, "");
  /* argv[1] is the calling extension's origin (Chromium) or the path of
   * the manifest (Firefox); the manifest already limits who may call. */
  in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) message = NULL;
      g_autoptr(DpHostDownload) download = NULL;
      g_autofree char *reply = NULL;
      gsize length;
      const char *data;

      message = dp_host_read_message (in, NULL, &error);
      if (message == NULL && error == NULL)
        break;
      if (message == NULL)
        {
          /* The stream is out of step: say why, and stop. */
          g_printerr ("downpour-browser-host: %s\n", error->message);
          reply = dp_host_reply (error->message);
          dp_host_write_message (out, reply, NULL, NULL);
          status = 1;
          break;
        }

      data = g_bytes_get_data (message, &length);
      download = dp_host_parse_download (data, length, &error);
      if (download != NULL)
        {
          if (bus == NULL)
            bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
          if (bus != NULL)
            hand_over (bus, download, &error);
        }
      if (error != NULL)
        {
          g_dbus_error_strip_remote_error (error);
          g_printerr ("downpour-browser-host: %s\n", error->message);
        }
      reply = dp_host_reply (error != NULL ? error->message : NULL);
      if (!dp_host_write_message (out, reply, NULL, &error))
        {
          g_printerr ("downpour-browser-host: %s\n", error->message);
          status = 1;
          break;
        }
    }

  return status;
}
