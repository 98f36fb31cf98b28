using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlagKit.Versioning;

/// <summary>
/// A contract policy read from a flag: a string flag (by convention <c>contract.{name}</c>, e.g.
/// <c>contract.wallet-api</c>) whose variants are version ranges. Evaluated per call context, it caps what may
/// be offered or chosen, so a new contract version is canaried like any feature (a rule or a 5 % split serving
/// <c>^3.0</c> while the rest get <c>&gt;=3.0 &lt;3.1</c>) and killed like one (the off variant).
/// </summary>
/// <remarks>
/// <para>
/// A missing flag means no policy (null). A variant that is not a valid range also means no policy, and is logged
/// once per distinct text as a warning naming the flag and the problem: a typo must not stop traffic, and the
/// flag's own kill switch stays the way to cap it. Ranges are parsed once per distinct text and cached.
/// </para>
/// <para>Thread-safe; <see cref="Resolve"/> never throws and, once a text is cached, allocates nothing.</para>
/// </remarks>
public sealed class ContractPolicy
{
    private const int MaxCachedRanges = 1024;

    private readonly FlagClient _flags;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, VersionRange?> _ranges = new(StringComparer.Ordinal);

    /// <summary>Creates a policy backed by a flag.</summary>
    /// <param name="flags">The client that evaluates the flag.</param>
    /// <param name="flagKey">The policy flag's key, e.g. <c>contract.wallet-api</c> (see <see cref="FlagKeyFor"/>).</param>
    /// <param name="logger">Where invalid ranges are reported; nowhere when null.</param>
    public ContractPolicy(FlagClient flags, string flagKey, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentException.ThrowIfNullOrEmpty(flagKey);
        _flags = flags;
        FlagKey = flagKey;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The policy flag's key.</summary>
    public string FlagKey { get; }

    /// <summary>The conventional policy flag key of a contract: <c>contract.{name}</c>.</summary>
    /// <param name="contract">The contract's name.</param>
    /// <returns>The key.</returns>
    public static string FlagKeyFor(string contract) => "contract." + contract;

    /// <summary>The range the policy flag serves for <paramref name="context"/>, or null for no policy.</summary>
    /// <param name="context">Who the call is for (account, region, app...); none when null.</param>
    /// <returns>The range, or null when the flag is missing or its value is not a range.</returns>
    /// <remarks>Never throws.</remarks>
    public VersionRange? Resolve(EvaluationContext? context)
    {
        var details = _flags.GetStringDetails(FlagKey, context, defaultValue: "");
        if (details.Reason is EvaluationReason.FlagNotFound or EvaluationReason.TypeMismatch or EvaluationReason.Error)
        {
            return null;
        }

        var text = details.Value;
        if (_ranges.TryGetValue(text, out var cached))
        {
            return cached;
        }

        VersionRange? range = null;
        if (VersionRange.TryParse(text, out var parsed, out var error))
        {
            range = parsed;
        }
        else
        {
            VersioningLog.PolicyNotARange(_logger, FlagKey, details.Variant, error);
        }

        if (_ranges.Count < MaxCachedRanges)
        {
            _ranges.TryAdd(text, range);
        }

        return range;
    }
}
