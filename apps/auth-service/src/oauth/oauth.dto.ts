import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';

/** The form body of RFC 7009 revocation and RFC 7662 introspection requests. */
export class OAuthTokenRequestDto {
  @ApiProperty({ description: 'An access token (JWS) or a refresh token' })
  @IsString()
  @Length(1, 8192)
  token!: string;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  @IsOptional()
  @IsIn(['access_token', 'refresh_token'])
  token_type_hint?: 'access_token' | 'refresh_token';

  @ApiPropertyOptional({ description: 'client_secret_post, or a public client' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  client_id?: string;

  @ApiPropertyOptional({ description: 'client_secret_post' })
  @IsOptional()
  @IsString()
  @Length(1, 512)
  client_secret?: string;
}

/**
 * The form body of a token request, for the API document only: the endpoint reads the form
 * itself (`parseTokenRequest`), ignoring unknown parameters as RFC 6749 section 3.2 asks.
 */
export class OAuthTokenGrantDto {
  @ApiProperty({ enum: ['authorization_code', 'refresh_token', 'client_credentials'] })
  grant_type!: string;

  @ApiPropertyOptional({ description: 'authorization_code: the code from /oauth/authorize' })
  code?: string;

  @ApiPropertyOptional({ description: 'authorization_code: exactly as sent to /oauth/authorize' })
  redirect_uri?: string;

  @ApiPropertyOptional({ description: 'authorization_code: the PKCE verifier (RFC 7636)' })
  code_verifier?: string;

  @ApiPropertyOptional({ description: 'refresh_token: the refresh token to spend' })
  refresh_token?: string;

  @ApiPropertyOptional({
    description: 'client_credentials: the scopes wanted; refresh_token: a narrower scope',
  })
  scope?: string;

  @ApiPropertyOptional({ description: 'client_secret_post, or a public client' })
  client_id?: string;

  @ApiPropertyOptional({ description: 'client_secret_post' })
  client_secret?: string;
}
