import pytest

from lambent.model.iam_wildcards import action_matches, resource_matches

FN = "arn:aws:lambda:us-east-1:123456789012:function:my-fn"


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("lambda:GetFunction", "lambda:GetFunction", True),
        ("lambda:Get*", "lambda:GetFunction", True),
        ("lambda:get*", "LAMBDA:GETFUNCTION", True),
        ("lambda:*", "lambda:InvokeFunction", True),
        ("*", "logs:PutLogEvents", True),
        ("lambda:Get*", "lambda:ListFunctions", False),
        ("lambda:GetFunction", "lambda:GetFunctionConfiguration", False),
        ("lambda:Invoke?unction", "lambda:InvokeFunction", True),
        ("lambda:Invoke?unction", "lambda:InvokeFFunction", False),
        ("s3:*", "lambda:GetFunction", False),
        ("lambda.GetFunction", "lambdaXGetFunction", False),
    ],
)
def test_action_patterns(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        (FN, FN, True),
        ("*", FN, True),
        ("arn:aws:lambda:*:123456789012:function:*", FN, True),
        ("arn:aws:lambda:us-east-1:123456789012:function:my-fn", FN + ":1", False),
        ("arn:aws:lambda:us-east-1:123456789012:function:my-fn*", FN + ":1", True),
        ("arn:aws:lambda:us-east-1:123456789012:function:MY-FN", FN, False),
        ("arn:aws:lambda:us-east-1:123456789012:function:my-f?", FN, True),
        ("arn:aws:lambda:us-east-1:123456789012:function:my-f?", FN + "x", False),
    ],
)
def test_resource_patterns(pattern: str, arn: str, expected: bool) -> None:
    assert resource_matches(pattern, arn) is expected
