namespace FlagKit.Server.WebConsole;

/// <summary>What the rollout slider shows before saving.</summary>
/// <param name="Percent">The rollout previewed.</param>
/// <param name="Served">Sample accounts that would get something other than the off variant.</param>
/// <param name="Sample">Sample accounts bucketed.</param>
/// <param name="Text">The sentence shown, e.g. "≈ 25 %: 2 512 of 10 000 sample accounts".</param>
internal sealed record RolloutPreviewJson(double Percent, int Served, int Sample, string Text);
