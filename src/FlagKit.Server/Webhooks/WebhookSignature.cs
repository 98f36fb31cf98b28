using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FlagKit.Server.Webhooks;

/// <summary>
/// The signature of a webhook request: <c>sha256=</c> and the lower-case hex HMAC-SHA256, keyed with the endpoint's
/// secret (UTF-8), of the timestamp header's text, a dot, and the body's bytes. Signing the timestamp lets a receiver
/// refuse a replayed request (one whose timestamp is minutes old) as well as a forged one.
/// </summary>
internal static class WebhookSignature
{
    /// <summary>The signature header.</summary>
    public const string Header = "X-FlagKit-Signature";

    /// <summary>The timestamp header: Unix seconds when the attempt was sent.</summary>
    public const string TimestampHeader = "X-FlagKit-Timestamp";

    /// <summary>The event id header (the same on every attempt of one event: receivers de-duplicate by it).</summary>
    public const string EventIdHeader = "X-FlagKit-Event-Id";

    /// <summary>The event type header.</summary>
    public const string EventTypeHeader = "X-FlagKit-Event-Type";

    /// <summary>The attempt number header (1 for the first).</summary>
    public const string AttemptHeader = "X-FlagKit-Attempt";

    private const string Prefix = "sha256=";

    /// <summary>Signs a request.</summary>
    /// <param name="secret">The endpoint's secret.</param>
    /// <param name="timestamp">Unix seconds, as sent in <see cref="TimestampHeader"/>.</param>
    /// <param name="body">The body's bytes, as sent.</param>
    /// <returns><c>sha256=&lt;hex&gt;</c>.</returns>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(Mac(secret, timestamp.ToString(CultureInfo.InvariantCulture), body));

    /// <summary>Checks a signature in constant time (what a receiver does; used by the tests).</summary>
    /// <param name="secret">The endpoint's secret.</param>
    /// <param name="timestamp">The timestamp header's text.</param>
    /// <param name="body">The body's bytes, as received.</param>
    /// <param name="signature">The signature header.</param>
    /// <returns>True when it matches.</returns>
    public static bool Verify(string secret, string timestamp, ReadOnlySpan<byte> body, string signature)
    {
        if (!signature.StartsWith(Prefix, StringComparison.Ordinal) || signature.Length != Prefix.Length + (HMACSHA256.HashSizeInBytes * 2))
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(signature.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(given, Mac(secret, timestamp, body));
    }

    private static byte[] Mac(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var stamp = Encoding.UTF8.GetBytes(timestamp + ".");
        var message = new byte[stamp.Length + body.Length];
        stamp.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(stamp.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
    }
}
