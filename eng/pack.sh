#!/usr/bin/env bash
# Packs every FlagKit package into a local NuGet feed folder, then installs the `flagkit` tool from that feed.
#
#   eng/pack.sh [feed-dir] [--tool-path DIR] [--version VERSION] [--no-build] [--no-tool]
#
#   feed-dir     where the .nupkg/.snupkg files go (default: ./artifacts/feed)
#   --tool-path  where `flagkit` is installed (default: ./artifacts/tools; run it as <DIR>/flagkit)
#   --version    package version (default: the repository's <Version>); a new one per run avoids NuGet's cache
#                (~/.nuget/packages keeps the first package it saw for an id and version)
#   --no-build   pack what `dotnet build -c Release` already built (what the packaging test does)
#   --no-tool    pack only
#   -c, --configuration  Release (default) or Debug
#
# Packages: FlagKit.Protocol, FlagKit, FlagKit.Extensions.Hosting, FlagKit.Testing, FlagKit.Tool (eng/Packages.slnf).
# Then, from any project:  dotnet add package FlagKit --source <feed-dir>
# and the tool:            dotnet tool install --global FlagKit.Tool --add-source <feed-dir>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
feed=$root/artifacts/feed
tools=$root/artifacts/tools
version=
configuration=Release
build=()
install_tool=1

while [ $# -gt 0 ]; do
  case $1 in
    --tool-path) tools=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --no-build) build=(--no-build); shift ;;
    --no-tool) install_tool=0; shift ;;
    -c|--configuration) configuration=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "eng/pack.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) feed=$1; shift ;;
  esac
done

mkdir -p "$feed"
feed=$(cd "$feed" && pwd)
props=()
if [ -n "$version" ]; then props+=("-p:Version=$version"); fi

echo "Packing FlagKit packages into $feed"
dotnet pack "$root/eng/Packages.slnf" -c "$configuration" -o "$feed" -nologo -v quiet -clp:ErrorsOnly "${build[@]}" "${props[@]}"
ls -1 "$feed"

if [ "$install_tool" = 1 ]; then
  if [ -z "$version" ]; then
    version=$(dotnet msbuild "$root/src/FlagKit.Cli/FlagKit.Cli.csproj" -getProperty:Version -nologo)
  fi
  mkdir -p "$tools"
  tools=$(cd "$tools" && pwd)
  # Reinstall over an earlier install of the same version (the feed's bits may have changed).
  dotnet tool uninstall FlagKit.Tool --tool-path "$tools" >/dev/null 2>&1 || true
  dotnet tool install FlagKit.Tool --tool-path "$tools" --add-source "$feed" --version "$version" >/dev/null
  echo "Installed flagkit $version: $tools/flagkit"
fi
