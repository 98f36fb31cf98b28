using System.Text;

namespace FlagKit;

/// <summary>
/// Thrown when a flags file or document is refused. <see cref="Errors"/> lists every problem found, not only the first.
/// </summary>
/// <remarks>
/// A refused file is refused whole: nothing of it is applied, and whatever served before keeps serving.
/// </remarks>
public sealed class FlagValidationException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    /// <param name="errors">Every problem found; at least one.</param>
    internal FlagValidationException(IReadOnlyList<FlagValidationError> errors)
        : base(Format(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception from the problems found, with the exception that revealed them.</summary>
    /// <param name="errors">Every problem found; at least one.</param>
    /// <param name="innerException">The underlying exception (e.g. a JSON syntax error).</param>
    internal FlagValidationException(IReadOnlyList<FlagValidationError> errors, Exception? innerException)
        : base(Format(errors), innerException)
    {
        Errors = errors;
    }

    /// <summary>Every problem found, in document order.</summary>
    public IReadOnlyList<FlagValidationError> Errors { get; }

    private static string Format(IReadOnlyList<FlagValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var text = new StringBuilder();
        text.Append(errors.Count == 1 ? "The flag document has 1 error:" : $"The flag document has {errors.Count} errors:");
        foreach (var error in errors)
        {
            text.Append('\n').Append("  ").Append(error);
        }

        return text.ToString();
    }
}
