using System.Text;

namespace FlagKit.Server.Sync.Direct;

/// <summary>The <c>grpc-message</c> trailer's encoding: UTF-8, percent-encoded outside printable ASCII (gRPC over HTTP/2).</summary>
internal static class GrpcStatusMessage
{
    /// <summary>Encoded messages are cut at this length (a trailer block fits one frame).</summary>
    public const int MaxEncodedLength = 4096;

    /// <summary>Percent-encodes a status detail.</summary>
    /// <param name="detail">The detail.</param>
    /// <returns>The trailer value (empty for no detail).</returns>
    public static string Encode(string? detail)
    {
        if (string.IsNullOrEmpty(detail))
        {
            return "";
        }

        var bytes = Encoding.UTF8.GetBytes(detail);
        var builder = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }

            if (builder.Length >= MaxEncodedLength - 3)
            {
                break;
            }
        }

        return builder.ToString();
    }
}
