using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlagKit.Documents;

/// <summary>
/// A sticky percentage split. Bucket = MurmurHash3 x86 32-bit (seed 0) of UTF-8 <c>salt + "/" + key</c>,
/// mod 10 000; variants take consecutive bucket ranges in list order, so raising the first variant's weight
/// keeps everyone who already had it.
/// </summary>
public sealed class SplitDocument
{
    /// <summary>The context attribute hashed for the bucket; <c>accountId</c> when absent.</summary>
    public string? BucketBy { get; set; }

    /// <summary>Overrides the flag's salt for this split.</summary>
    public string? Salt { get; set; }

    /// <summary>Variants and weights in percent (steps of 0.01), summing to 100.</summary>
    public List<WeightedVariant> Variants { get; set; } = [];
}
