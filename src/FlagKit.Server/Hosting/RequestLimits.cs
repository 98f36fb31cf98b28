using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace FlagKit.Server.Hosting;

/// <summary>
/// Bounds on every text field a client sends, whatever the message (admin requests, Hello, Ack and anything added
/// later): found from the message's descriptor, so a new field is bounded without anyone remembering to. Ids, names,
/// keys and versions may be <see cref="MaxIdChars"/> characters; free text (<c>comment</c>, a failure's <c>reason</c>, a maintenance <c>message</c>)
/// <see cref="MaxTextChars"/>. Document JSON travels as bytes and has its own limit (<c>MaxDocumentBytes</c>).
/// </summary>
internal static class RequestLimits
{
    /// <summary>Longest id, name, key, version or other short string field.</summary>
    public const int MaxIdChars = 256;

    /// <summary>Longest free-text field.</summary>
    public const int MaxTextChars = 4096;

    private static readonly HashSet<string> TextFields = new(StringComparer.Ordinal) { "comment", "reason", "message" };

    /// <summary>Refuses a message with a string field over its bound, naming the field.</summary>
    /// <param name="message">The message as received.</param>
    /// <exception cref="RpcException">INVALID_ARGUMENT naming the field (path and index), its length and the limit.</exception>
    public static void Check(IMessage message)
    {
        if (Find(message, message.Descriptor.Name) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }
    }

    /// <summary>The bound of a string field.</summary>
    /// <param name="field">The field.</param>
    /// <returns>Characters allowed.</returns>
    public static int Limit(FieldDescriptor field) => TextFields.Contains(field.Name) ? MaxTextChars : MaxIdChars;

    private static string? Find(IMessage message, string path)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType is not (FieldType.String or FieldType.Message))
            {
                continue;
            }

            var value = field.Accessor.GetValue(message);
            if (field.IsRepeated && value is IList list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (FindIn(field, list[i], $"{path}.{field.Name}[{i}]") is { } problem)
                    {
                        return problem;
                    }
                }
            }
            else if (!field.IsMap && FindIn(field, value, $"{path}.{field.Name}") is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? FindIn(FieldDescriptor field, object? value, string path) => value switch
    {
        string text when text.Length > Limit(field) => $"{path} is {text.Length} characters; the limit is {Limit(field)}.",
        IMessage inner => Find(inner, path),
        _ => null,
    };
}
