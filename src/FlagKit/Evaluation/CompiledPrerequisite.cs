using System.Collections.Concurrent;
using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Versioning;

namespace FlagKit.Evaluation;

/// <summary>A prerequisite: the flag (looked up by key in the same snapshot) must serve the variant.</summary>
internal sealed record CompiledPrerequisite(string FlagKey, string Variant);
