/** The --help texts, with examples. Kept together so they read as one manual (docs/CLI.md is the long form). */
export const HELP = {
  main: `nmrpc: register, check and call nmrpc native messaging hosts

Usage: nmrpc <command> [options]

Commands:
  install     register a host for your browsers (launcher + manifests, or registry keys on Windows)
  uninstall   remove exactly what install wrote
  doctor      check a host the way each browser will meet it, and start it
  call        start a host like a browser and call one of its methods
  build       bundle a host into one file or a single executable that registers itself
  relay       what the browser starts for a running app (host.serve); see nmrpc install --app

Run "nmrpc <command> --help" for a command's options and examples.
  --version   print the nmrpc version
`,
  install: `Usage: nmrpc install --name <host.name> --host <abs path to host.js> --extension-id <id>... [options]

Writes a launcher that runs your host with this node, and a host manifest for each chosen browser.
Safe to run again: unchanged files are left alone.

Options:
  --name NAME             host name, as passed to runtime.connectNative (lowercase letters, digits, _ and .)
  --host PATH             absolute path of the host's entry file (the one calling host.listen())
  --extension-id ID       allowed extension, repeatable: a Chromium id (32 letters a-p) or a Firefox add-on id
  --browser ID            repeatable or comma-separated (default: every installed browser):
                          chrome chrome-beta chrome-dev chrome-canary chromium edge edge-beta edge-dev
                          edge-canary brave brave-beta brave-nightly vivaldi opera firefox firefox-flatpak
                          librewolf waterfox thunderbird tor-browser
  --scope user|system     for this user (default) or all users (needs root / Administrator)
  --user-data-dir DIR     for a Chromium started with --user-data-dir DIR (manifest in DIR/NativeMessagingHosts)
  --node PATH             node binary the launcher runs (default: the node running this command);
                          a bare name such as "node" is looked up on PATH, and the launcher names what was found
  --node-arg ARG          argument for node before the host file, repeatable (e.g. --node-arg=--import=tsx)
  --dir DIR               where the launcher and receipt go (default: a per-user or system nmrpc folder)
  --description TEXT      manifest description
  --dry-run               print what would be written, write nothing
  --force                 install even if --host does not exist yet or --node is not executable
  --json                  print the result as JSON
  --app                   app mode: register "nmrpc relay NAME" (this CLI) for an app that calls host.serve()
  --launch COMMAND        with --app: shell command the relay runs to start the app when it is not running

Exit status: 0 installed, 1 refused or failed (a missing --host, a --node that cannot run), 2 a usage mistake.

Examples:
  nmrpc install --name com.acme.app --host "$PWD/dist/host.js" --extension-id knldjmfmopnpolahpmmgbagdohdnhkik
  nmrpc install --name com.acme.app --host /opt/acme/host.js --extension-id app@acme.com --browser firefox,thunderbird
  nmrpc install --name com.acme.app --host /opt/acme/host.js --extension-id <id> --user-data-dir /tmp/profile
  sudo nmrpc install --scope system --name com.acme.app --host /opt/acme/host.js --extension-id <id> --dry-run
`,
  uninstall: `Usage: nmrpc uninstall --name <host.name> [--scope user|system] [--dir DIR] [--dry-run] [--json]

Removes the launcher, manifests and registry keys that install wrote for this host (as listed in its
receipt), and the folders it created if they are empty, nmrpc's own data folder with its last host.
A manifest changed since is kept. Exit status 1 when nothing of that name is installed there.

Examples:
  nmrpc uninstall --name com.acme.app
  nmrpc uninstall --name com.acme.app --scope system --dry-run
`,
  doctor: `Usage: nmrpc doctor [--name <host.name>] [--extension-id ID]... [--browser ID]... [options]

For each browser, finds the manifest it would read (in its own search order), checks it and the #! line of
the file it points at, then starts the host as the browser would (its argv, and the PATH a browser started
from the desktop gets) and exchanges the nmrpc hello. A browser that finds nothing is told where a manifest
is instead. Every problem comes with a fix and the words the browser gives the extension.
Without --browser: every installed browser and every one an install targeted; each must find the host if a
manifest of its family (Chromium or Firefox) exists anywhere.
Exit status: 0 when no problem was found (warnings such as a slow start do not count), 1 otherwise,
2 for a usage mistake.

Options:
  --name NAME             host name to check (default: every host nmrpc install registered)
  --extension-id ID       extension that must be allowed (repeatable); also used as the caller
  --browser ID            browsers to check (default: installed ones; see nmrpc install --help)
  --user-data-dir DIR     check a Chromium profile started with --user-data-dir DIR (installs into a
                          profile are found from their receipt without it)
  --dir DIR               the --dir the host was installed with (where its receipt is)
  --browser-path PATH     the PATH your browser starts hosts with (default: a desktop session's,
                          /usr/local/bin:/usr/bin:/bin on Linux, /usr/bin:/bin:/usr/sbin:/sbin on macOS)
  --no-start              check manifests only; do not start the host
  --timeout MS            how long to wait for the host's hello (default 30000; browsers wait longer)
  --json                  print the report as JSON

Examples:
  nmrpc doctor
  nmrpc doctor --name com.acme.app
  nmrpc doctor --name com.acme.app --browser firefox --extension-id app@acme.com --json
`,
  call: `Usage: nmrpc call <host> <method.path> [json args...] [options]

Starts the host as a browser would, calls one method and prints the result as JSON (a stream prints one
item per line). Errors go to stderr with exit status 1 (also for a host name no browser has).

<host> is one of:
  a registered host name   com.acme.app (its manifest is looked up like the browsers do)
  a manifest file          ~/.mozilla/native-messaging-hosts/com.acme.app.json
  a command                "./dist/host.js" or "node --enable-source-maps dist/host.js" (one quoted word)

Each argument is JSON: numbers, true, null, "quoted strings" (quote them for the shell too), objects.

Options:
  --browser chromium|firefox   which browser to imitate: its manifest (for a host name) and its argv
                               (default: from the manifest, else chromium)
  --extension-id ID            the caller (origin or add-on id) the host sees
  --timeout MS                 call timeout (default 30000)
  --trace                      print one line per envelope in and out on stderr (kind, id, method,
                               size, time since the call started, outcome)
  --verbose                    show the host's stderr as it runs (failures quote its end anyway)
  --json                       print strict JSON: the result (one line per stream item), or the error
                               as {"code","name","message","data"} on stdout, exit status 1

Examples:
  nmrpc call com.acme.app ping
  nmrpc call ./dist/host.js math.add 1 2
  nmrpc call "node dist/host.js" fs.read '"/etc/hosts"'
  nmrpc call com.acme.app count 5          # prints 0 1 2 3 4, one per line
`,
  build: `Usage: nmrpc build <host.ts|host.js> --name <host.name> --extension-id <id>... [options]

Bundles the host and everything it imports into <out>/<name>.mjs (any Node >= 20 runs it; TypeScript needs
no compile step), and with --sea also a single executable <out>/<name> (<name>.exe for Windows) with Node
inside. The name, the extension ids and the nmrpc version are baked in: started from a terminal, the built
file answers --install, --uninstall, --doctor, --version and --help (the same code as nmrpc install/doctor).
Needs esbuild (and postject for --sea) where you build: npm install --save-dev esbuild postject

Options:
  --name NAME             host name, as passed to runtime.connectNative
  --extension-id ID       allowed extension, repeatable: a Chromium id (32 letters a-p) or a Firefox add-on id
  --out DIR               output folder (default: dist)
  --sea                   also make a single executable application (about 100 MB: it holds node)
  --node-binary PATH      the node to put in the executable (default: this one); another version or OS
  --description TEXT      manifest description
  --json                  print the result as JSON

Examples:
  nmrpc build src/host.ts --name com.acme.app --extension-id knldjmfmopnpolahpmmgbagdohdnhkik --extension-id app@acme.com
  nmrpc build src/host.ts --name com.acme.app --extension-id app@acme.com --sea
  nmrpc build src/host.ts --name com.acme.app --extension-id app@acme.com --sea --node-binary ./node-v20-win-x64/node.exe
  ./dist/com.acme.app --install          # what your users run once
`,
}
