using System.Diagnostics.Metrics;

namespace FlagKit.Versioning;

/// <summary>
/// Negotiates one <see cref="Contract"/> on one side of a call, reading and writing the wire format of
/// <see cref="ContractWire"/>, and counts every outcome (meter <c>FlagKit.Versioning</c>, counter
/// <c>flagkit.contract.negotiations</c>, tagged with contract, version, side and outcome).
/// </summary>
/// <remarks>
/// A server calls <see cref="NegotiateOffer"/> with the offer it received; a client calls <see cref="Offer"/>
/// to know what to send and <see cref="ReadAnswer"/> with the server's reply. A policy range (usually a flag,
/// see <c>ContractPolicy</c>) caps what may be offered or chosen for the current call.
/// Every member is thread-safe and never throws on what a peer sends.
/// </remarks>
public sealed class ContractNegotiator
{
    private readonly ContractMetrics _metrics;

    /// <summary>Creates a negotiator.</summary>
    /// <param name="contract">The contract this side implements.</param>
    /// <param name="side">Client or server.</param>
    /// <param name="meterFactory">Where to create the meter; null uses a process-wide meter.</param>
    public ContractNegotiator(Contract contract, ContractSide side, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(contract);
        Contract = contract;
        Side = side;
        _metrics = meterFactory is null ? ContractMetrics.Shared : new ContractMetrics(meterFactory);
    }

    /// <summary>The contract.</summary>
    public Contract Contract { get; }

    /// <summary>Client or server.</summary>
    public ContractSide Side { get; }

    /// <summary>Server side: chooses a version from an offer and counts the outcome.</summary>
    /// <param name="offered">The versions the client offered.</param>
    /// <param name="policy">The policy range for this call, or null.</param>
    /// <returns>The result (see <see cref="Contract.Negotiate"/>).</returns>
    /// <remarks>Never throws.</remarks>
    public NegotiationResult Negotiate(IReadOnlyList<SemanticVersion>? offered, VersionRange? policy = null)
    {
        var result = Contract.Negotiate(offered, policy);
        _metrics.Record(result, Side);
        return result;
    }

    /// <summary>Server side: reads an offer in wire format (<c>3.1.0, 3.0.0</c>), chooses, and counts the outcome.</summary>
    /// <param name="offerValue">The value of the <c>flagkit-offer-{contract}</c> header; null when absent.</param>
    /// <param name="policy">The policy range for this call, or null.</param>
    /// <returns>The result; <see cref="NegotiationStatus.ProtocolError"/> when the offer cannot be read.</returns>
    /// <remarks>Never throws.</remarks>
    public NegotiationResult NegotiateOffer(string? offerValue, VersionRange? policy = null)
    {
        if (!ContractWire.TryParseVersions(offerValue, out var offered, out var error))
        {
            var refused = new NegotiationResult(
                Contract.Name, NegotiationStatus.ProtocolError, null, Contract.Supported, [], policy, false,
                $"Contract '{Contract.Name}': the offer could not be read: {error} This side supports {Contract.FormatList(Contract.Supported)}.");
            _metrics.Record(refused, Side);
            return refused;
        }

        return Negotiate(offered, policy);
    }

    /// <summary>Client side: the versions to offer, highest first: those this side serves that the policy admits.</summary>
    /// <param name="policy">The policy range for this call, or null.</param>
    /// <returns>The versions; empty when the policy admits none.</returns>
    public IReadOnlyList<SemanticVersion> Offer(VersionRange? policy = null)
    {
        if (policy is null)
        {
            return Contract.Supported;
        }

        var offer = new List<SemanticVersion>(Contract.Supported.Count);
        foreach (var v in Contract.Supported)
        {
            if (policy.IsSatisfiedBy(v))
            {
                offer.Add(v);
            }
        }

        return offer;
    }

    /// <summary>
    /// Client side: the result for a call that could not be offered, because the policy admits none of this side's
    /// versions. Counted like any other outcome.
    /// </summary>
    /// <param name="policy">The policy that excluded every version.</param>
    /// <returns>A <see cref="NegotiationStatus.PolicyExcludedAll"/> result.</returns>
    public NegotiationResult RefuseLocally(VersionRange policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var result = new NegotiationResult(
            Contract.Name, NegotiationStatus.PolicyExcludedAll, null, [], Contract.Supported, policy, false,
            $"Contract '{Contract.Name}': the policy '{policy.Text}' excludes every version this side could offer ({Contract.FormatList(Contract.Supported)}); nothing was sent.");
        _metrics.Record(result, Side);
        return result;
    }

    /// <summary>
    /// Client side: reads the server's answer (response headers, or the trailers of a refused gRPC call) and counts
    /// the outcome.
    /// </summary>
    /// <param name="offered">What this side offered on the call.</param>
    /// <param name="policy">The policy range used for the offer, or null.</param>
    /// <param name="readEntry">Reads one answer entry by key (see <see cref="ContractWire"/>); null when absent.</param>
    /// <returns>
    /// Agreed with the server's choice (deprecated with its sunset when the server says so); or the server's refusal
    /// with what it supports; or <see cref="NegotiationStatus.ProtocolError"/> when the answer cannot be read or
    /// names a version that was not offered. A server that answers nothing is treated like a peer that offers
    /// nothing: the contract's assumed version, or <see cref="NegotiationStatus.PeerOfferedNothing"/>.
    /// </returns>
    /// <remarks>Never throws (a <paramref name="readEntry"/> that throws is the caller's fault and propagates).</remarks>
    public NegotiationResult ReadAnswer(IReadOnlyList<SemanticVersion> offered, VersionRange? policy, Func<string, string?> readEntry)
    {
        ArgumentNullException.ThrowIfNull(offered);
        ArgumentNullException.ThrowIfNull(readEntry);
        var result = Interpret(offered, policy, readEntry);
        _metrics.Record(result, Side);
        return result;
    }

    private NegotiationResult Interpret(IReadOnlyList<SemanticVersion> offered, VersionRange? policy, Func<string, string?> readEntry)
    {
        var name = Contract.Name;
        var offeredText = Contract.FormatList(offered);
        var supportedValue = readEntry(ContractWire.SupportedKey(name));
        if (!ContractWire.TryParseVersions(supportedValue, out var supported, out var supportedError))
        {
            return ProtocolError($"the server's supported list could not be read: {supportedError}");
        }

        var refusedValue = readEntry(ContractWire.RefusedKey(name));
        if (refusedValue is not null)
        {
            if (!ContractWire.TryParseStatus(refusedValue, out var status) || status == NegotiationStatus.Agreed)
            {
                status = NegotiationStatus.ProtocolError;
            }

            return new NegotiationResult(
                name, status, null, supported, offered, policy, false,
                $"Contract '{name}': the server refused ({refusedValue.Trim()}); it supports {Contract.FormatList(supported)}; this side offered {offeredText}.");
        }

        var chosenValue = readEntry(ContractWire.ChosenKey(name));
        if (chosenValue is null)
        {
            if (Contract.AssumedWhenPeerOffersNothing is { } assumed)
            {
                return new NegotiationResult(
                    name, NegotiationStatus.Agreed, Contract.Find(assumed), supported, offered, policy, true,
                    $"Contract '{name}': the server chose no version; assumed {assumed}, as this contract says for peers that do not negotiate.");
            }

            return new NegotiationResult(
                name, NegotiationStatus.PeerOfferedNothing, null, supported, offered, policy, false,
                $"Contract '{name}': the server answered without choosing a version, and this contract rejects peers that do not negotiate; this side offered {offeredText}.");
        }

        if (!SemanticVersion.TryParse(chosenValue.Trim(), out var chosen, out var chosenError))
        {
            return ProtocolError($"the server's choice could not be read: {chosenError}");
        }

        if (!offered.Contains(chosen))
        {
            return ProtocolError($"the server chose {chosen}, which this side did not offer ({offeredText})");
        }

        ContractVersion entry;
        var sunsetValue = readEntry(ContractWire.SunsetKey(name));
        if (sunsetValue is not null)
        {
            if (!DateTimeOffset.TryParse(sunsetValue.Trim(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var sunset))
            {
                return ProtocolError($"the sunset '{sunsetValue}' of the chosen version is not an ISO 8601 date");
            }

            entry = ContractVersion.Deprecated(chosen, sunset);
        }
        else
        {
            entry = ContractVersion.Active(chosen);
        }

        var deprecation = entry.Sunset is { } s ? $" (deprecated, sunset {ContractWire.FormatSunset(s)})" : "";
        return new NegotiationResult(
            name, NegotiationStatus.Agreed, entry, supported, offered, policy, false,
            $"Contract '{name}': the server chose {chosen}{deprecation}; it supports {Contract.FormatList(supported)}; this side offered {offeredText}.");

        NegotiationResult ProtocolError(string what) => new(
            name, NegotiationStatus.ProtocolError, null, [], offered, policy, false,
            $"Contract '{name}': {what}.");
    }
}
