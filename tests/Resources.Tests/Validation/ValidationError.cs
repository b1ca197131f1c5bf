namespace ModeRefresh.Resources.Tests.Validation;

/// <summary>One problem in one file: where (file, line, field path) and what.</summary>
public sealed record ValidationError(string File, int Line, string Field, string Problem)
{
    public override string ToString() => $"{File}:{Line}: {Field}: {Problem}";
}
