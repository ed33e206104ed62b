import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches, NotContains } from 'class-validator';

export class RegisterDto {
  @ApiProperty({ minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9._@-]+$', example: 'alice' })
  @IsString()
  @Length(3, 64)
  @Matches(/^[A-Za-z0-9._@-]+$/, {
    message: 'username may contain letters, digits and . _ @ - only',
  })
  username!: string;

  @ApiProperty({ minLength: 8, maxLength: 256, format: 'password' })
  @IsString()
  @Length(8, 256)
  password!: string;
}

export class LoginDto {
  @ApiProperty({ maxLength: 64, example: 'alice' })
  @IsString()
  @Length(1, 64)
  // PostgreSQL text cannot hold U+0000, and no registered username contains it.
  @NotContains('\u0000', { message: 'username must not contain NUL characters' })
  username!: string;

  @ApiProperty({ maxLength: 256, format: 'password' })
  @IsString()
  @Length(1, 256)
  password!: string;

  @ApiPropertyOptional({
    description: 'The OAuth client the tokens are for (default: tokenfence-first-party)',
  })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  client_id?: string;

  @ApiPropertyOptional({ description: 'The secret of a confidential client', format: 'password' })
  @IsOptional()
  @IsString()
  @Length(1, 512)
  client_secret?: string;

  @ApiPropertyOptional({
    description: 'Scopes to limit the tokens to; each must be allowed for the client',
    example: 'profile orders:read',
  })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, {
    message: 'scope must be space-separated RFC 6749 scope tokens',
  })
  scope?: string;
}

export class RefreshDto {
  @ApiProperty({ maxLength: 512, description: 'An opaque refresh token (rt_...)' })
  @IsString()
  @Length(1, 512)
  refresh_token!: string;

  @ApiPropertyOptional({
    description: 'client_secret_post, or a public client naming itself (must be the token client)',
  })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  client_id?: string;

  @ApiPropertyOptional({
    description: 'The secret of a confidential client (or use Basic)',
    format: 'password',
  })
  @IsOptional()
  @IsString()
  @Length(1, 512)
  client_secret?: string;
}

export class ChangePasswordDto {
  @ApiProperty({ maxLength: 256, format: 'password' })
  @IsString()
  @Length(1, 256)
  current_password!: string;

  @ApiProperty({ minLength: 8, maxLength: 256, format: 'password' })
  @IsString()
  @Length(8, 256)
  new_password!: string;
}
