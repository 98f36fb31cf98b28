using System.Collections.Concurrent;
using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Versioning;

namespace FlagKit.Evaluation;

/// <summary>A sticky percentage split: consecutive bucket ranges in list order.</summary>
internal sealed class CompiledSplit
{
    public CompiledSplit(AttributeRef bucketBy, string salt, int[] upperBounds, int[] variants)
    {
        BucketBy = bucketBy;
        SaltText = salt;
        Salt = MurmurHash3.Prefix(salt);
        UpperBounds = upperBounds;
        Variants = variants;
    }

    public AttributeRef BucketBy { get; }

    /// <summary>The salt (the split's, else the flag's salt, else the flag key).</summary>
    public string SaltText { get; }

    /// <summary>The bucketing hash of <c>salt + "/"</c>, computed once.</summary>
    public MurmurPrefix Salt { get; }

    /// <summary>The bucket (0 to 9 999) of a key under this split's salt.</summary>
    public int Bucket(string key) => MurmurHash3.Bucket(Salt, SaltText, key);

    /// <summary>Exclusive upper bucket bound of each entry (cumulative basis points; the last is 10 000).</summary>
    public int[] UpperBounds { get; }

    /// <summary>The variant index of each entry.</summary>
    public int[] Variants { get; }

    public int VariantFor(int bucket)
    {
        var bounds = UpperBounds;
        for (var i = 0; i < bounds.Length; i++)
        {
            if (bucket < bounds[i])
            {
                return Variants[i];
            }
        }

        return Variants[^1];
    }
}
