// LOCAL DEV SHIM, never committed (listed in .git/info/exclude): stands in for the engine's seams until they land.
using System.Text.Json;
using FlagKit.Documents;
namespace FlagKit
{
    public sealed class FlagValidationException(IReadOnlyList<FlagValidationError> errors) : Exception("invalid")
    {
        public IReadOnlyList<FlagValidationError> Errors { get; } = errors;
    }
    public sealed record FlagValidationError(string Document, string Path, string Message);
}
namespace FlagKit.Compilation
{
    internal static class FlagJson
    {
        public static FlagFile ParseFile(ReadOnlySpan<byte> utf8, string source)
        {
            try { return JsonSerializer.Deserialize(utf8, FlagJsonContext.Default.FlagFile)!; }
            catch (JsonException ex) { throw new FlagValidationException([new FlagValidationError($"file '{source}'", ex.Path ?? "$", ex.Message)]); }
        }
    }
    internal static class SnapshotBuilder
    {
        public static object Build(FlagFile file, long revision)
        {
            var errors = new List<FlagValidationError>();
            for (var i = 0; i < file.Flags.Count; i++)
            {
                var f = file.Flags[i];
                if (!f.Variants.ContainsKey(f.OffVariant)) errors.Add(new($"flag '{f.Key}'", $"$.flags[{i}].offVariant", $"variant '{f.OffVariant}' is not defined"));
            }
            if (errors.Count > 0) throw new FlagValidationException(errors);
            return file;
        }
    }
}
