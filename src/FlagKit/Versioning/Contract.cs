using System.Text;

namespace FlagKit.Versioning;

/// <summary>
/// A named API contract (for example <c>wallet-api</c>) and the versions this process implements, each active,
/// deprecated (with a sunset date) or retired.
/// </summary>
/// <remarks>
/// <para>
/// Negotiation (<see cref="Negotiate"/>) chooses the highest version both sides have in common that is not
/// retired and that the policy (if any) admits; otherwise it returns a failure naming both sides' versions.
/// </para>
/// <para>
/// A peer that offers nothing (an old client that predates negotiation) is rejected unless
/// <see cref="AssumedWhenPeerOffersNothing"/> names the version such peers speak. Nothing is guessed.
/// </para>
/// <para>The name is used in header and gRPC metadata keys, so it is limited to <c>[a-z0-9._-]</c>, starts with a
/// letter or digit, does not end in <c>-bin</c>, and has at most 64 characters.</para>
/// <para>Immutable and safe to share between threads.</para>
/// </remarks>
public sealed class Contract
{
    private readonly ContractVersion[] _versions;
    private readonly SemanticVersion[] _supported;

    /// <summary>Creates a contract.</summary>
    /// <param name="name">The contract's name, e.g. <c>wallet-api</c>.</param>
    /// <param name="versions">The versions this process knows, in any order; at least one, no duplicates.</param>
    /// <param name="assumedWhenPeerOffersNothing">
    /// The version to assume for a peer that offers none (the one that predates negotiation); null (the default)
    /// rejects such peers. It must be one of <paramref name="versions"/>.
    /// </param>
    /// <exception cref="ArgumentException">The name is not valid, there are no versions, a version is listed twice,
    /// or the assumed version is not listed.</exception>
    public Contract(string name, IEnumerable<ContractVersion> versions, SemanticVersion? assumedWhenPeerOffersNothing = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(versions);
        var nameProblem = ValidateName(name);
        if (nameProblem is not null)
        {
            throw new ArgumentException($"Contract name '{name}' is not valid: {nameProblem}.", nameof(name));
        }

        _versions = [.. versions];
        if (_versions.Length == 0)
        {
            throw new ArgumentException($"Contract '{name}' needs at least one version.", nameof(versions));
        }

        Array.Sort(_versions, static (a, b) => b.Version.CompareTo(a.Version));
        for (var i = 1; i < _versions.Length; i++)
        {
            if (_versions[i].Version == _versions[i - 1].Version)
            {
                throw new ArgumentException($"Contract '{name}' lists version {_versions[i].Version} twice.", nameof(versions));
            }
        }

        if (assumedWhenPeerOffersNothing is { } assumed && Find(assumed) is null)
        {
            throw new ArgumentException(
                $"Contract '{name}' assumes {assumed} for peers that offer nothing, but does not list that version.",
                nameof(assumedWhenPeerOffersNothing));
        }

        Name = name;
        AssumedWhenPeerOffersNothing = assumedWhenPeerOffersNothing;
        _supported = [.. _versions.Where(v => v.Status != ContractVersionStatus.Retired).Select(v => v.Version)];
    }

    /// <summary>The contract's name.</summary>
    public string Name { get; }

    /// <summary>Every version this process knows, highest first.</summary>
    public IReadOnlyList<ContractVersion> Versions => _versions;

    /// <summary>The versions this process serves (active and deprecated), highest first: what it offers a peer.</summary>
    public IReadOnlyList<SemanticVersion> Supported => _supported;

    /// <summary>The version assumed for a peer that offers none, or null when such peers are rejected.</summary>
    public SemanticVersion? AssumedWhenPeerOffersNothing { get; }

    /// <summary>The entry for <paramref name="version"/>, or null when this contract does not list it.</summary>
    /// <param name="version">The version to look up.</param>
    /// <returns>The entry or null.</returns>
    public ContractVersion? Find(SemanticVersion version)
    {
        foreach (var v in _versions)
        {
            if (v.Version == version)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>
    /// Chooses the version to speak with a peer: the highest version in <paramref name="peerOffers"/> that this
    /// contract lists, is not retired, and <paramref name="policy"/> admits.
    /// </summary>
    /// <param name="peerOffers">The versions the peer offered, in any order; may be empty.</param>
    /// <param name="policy">A range that caps or steers the choice (from a policy flag), or null for none.</param>
    /// <returns>The agreed version, or a failure with its code, both sides' versions and a message.</returns>
    /// <remarks>Never throws (a null <paramref name="peerOffers"/> counts as an empty offer). Thread-safe.</remarks>
    public NegotiationResult Negotiate(IReadOnlyList<SemanticVersion>? peerOffers, VersionRange? policy = null)
    {
        peerOffers ??= [];
        var assumed = false;
        if (peerOffers.Count == 0)
        {
            if (AssumedWhenPeerOffersNothing is not { } assume)
            {
                return Fail(NegotiationStatus.PeerOfferedNothing, peerOffers, policy, assumed: false, common: []);
            }

            peerOffers = [assume];
            assumed = true;
        }

        ContractVersion? best = null;
        var anyCommon = false;
        var anyLive = false;
        foreach (var offered in peerOffers)
        {
            var mine = Find(offered);
            if (mine is null)
            {
                continue;
            }

            anyCommon = true;
            if (mine.Status == ContractVersionStatus.Retired)
            {
                continue;
            }

            anyLive = true;
            if (policy is not null && !policy.IsSatisfiedBy(mine.Version))
            {
                continue;
            }

            if (best is null || mine.Version > best.Version)
            {
                best = mine;
            }
        }

        if (best is not null)
        {
            return new NegotiationResult(this, NegotiationStatus.Agreed, best, peerOffers, policy, assumed, BuildAgreedMessage(best, peerOffers, policy, assumed));
        }

        var status = !anyCommon ? NegotiationStatus.NoOverlap
            : !anyLive ? NegotiationStatus.OnlyRetiredInCommon
            : NegotiationStatus.PolicyExcludedAll;
        return Fail(status, peerOffers, policy, assumed, Common(peerOffers));
    }

    /// <summary>The contract's name and versions, e.g. <c>wallet-api 3.1.0, 3.0.0, 2.5.0 (deprecated, sunset 2026-12-31)</c>.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"{Name} {string.Join(", ", _versions.Select(v => v.ToString()))}";

    internal static string? ValidateName(string name)
    {
        if (name.Length is 0 or > 64)
        {
            return "it must have 1 to 64 characters";
        }

        if (!char.IsAsciiLetterLower(name[0]) && !char.IsAsciiDigit(name[0]))
        {
            return "it must start with a lower-case letter or a digit";
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c is not ('.' or '_' or '-'))
            {
                return $"'{c}' is not allowed (only a-z, 0-9, '.', '_' and '-', as it is part of header and metadata keys)";
            }
        }

        if (name.EndsWith("-bin", StringComparison.Ordinal))
        {
            return "it must not end in '-bin' (gRPC reserves that suffix for binary metadata)";
        }

        return null;
    }

    internal static string FormatList(IEnumerable<SemanticVersion> versions)
    {
        var text = string.Join(", ", versions);
        return text.Length == 0 ? "none" : text;
    }

    private SemanticVersion[] Common(IReadOnlyList<SemanticVersion> peerOffers) =>
        [.. _versions.Where(v => peerOffers.Contains(v.Version)).Select(v => v.Version)];

    private NegotiationResult Fail(NegotiationStatus status, IReadOnlyList<SemanticVersion> peerOffers, VersionRange? policy, bool assumed, SemanticVersion[] common)
    {
        var sb = new StringBuilder();
        sb.Append("Contract '").Append(Name).Append("': ");
        switch (status)
        {
            case NegotiationStatus.PeerOfferedNothing:
                sb.Append("the peer offered no version, and this contract rejects peers that offer none");
                break;
            case NegotiationStatus.NoOverlap:
                sb.Append("no version in common");
                break;
            case NegotiationStatus.OnlyRetiredInCommon:
                sb.Append("only retired versions in common (").Append(FormatList(common)).Append(')');
                break;
            default:
                sb.Append("the policy '").Append(policy?.Text).Append("' excludes every version in common (").Append(FormatList(common)).Append(')');
                break;
        }

        sb.Append("; this side supports ").Append(FormatList(_supported));
        var retired = _versions.Where(v => v.Status == ContractVersionStatus.Retired).Select(v => v.Version).ToArray();
        if (retired.Length > 0)
        {
            sb.Append(" (retired: ").Append(FormatList(retired)).Append(')');
        }

        if (status != NegotiationStatus.PeerOfferedNothing)
        {
            sb.Append(assumed ? "; the peer offered nothing, assumed " : "; the peer offered ").Append(FormatList(peerOffers));
        }

        sb.Append('.');
        return new NegotiationResult(this, status, null, peerOffers, policy, assumed, sb.ToString());
    }

    private string BuildAgreedMessage(ContractVersion chosen, IReadOnlyList<SemanticVersion> peerOffers, VersionRange? policy, bool assumed)
    {
        var sb = new StringBuilder();
        sb.Append("Contract '").Append(Name).Append("': agreed on ").Append(chosen.Version);
        if (chosen.Status == ContractVersionStatus.Deprecated)
        {
            sb.Append(" (deprecated, sunset ").Append(chosen.Sunset?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).Append(')');
        }

        sb.Append("; this side supports ").Append(FormatList(_supported));
        sb.Append(assumed ? "; the peer offered nothing, assumed " : "; the peer offered ").Append(FormatList(peerOffers));
        if (policy is not null)
        {
            sb.Append("; policy '").Append(policy.Text).Append('\'');
        }

        sb.Append('.');
        return sb.ToString();
    }
}
